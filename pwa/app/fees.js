// The fee in words, from one function: the catalog card, the procedure page, the form and the
// dossier say the same thing. Before the person has answered what a reduction depends on,
// the fee is the base amount "with exemptions"; once answered, the amount that applies and why.
import { fmtMoney, loc, t } from './i18n.js';
import { evaluate, filled, quoteFee, todayDays } from './rules.js';

// The rule that applies to these answers (null: the base amount), ignoring rules whose
// deciding field is still empty, so an empty form never shows a reduction it cannot know.
export function feeRule(fees, values, today = todayDays()) {
  if (!values) return null;
  for (const rule of (fees && fees.rules) || []) {
    const field = rule.when && rule.when.field;
    if (field && !filled(values[field])) continue;
    if (evaluate(rule.when, values, today)) return rule;
  }
  return null;
}

// {amount, text, detail}: `text` is the amount in words; `detail` names the rule that applied
// (or the lower online fee), or says that exemptions exist when nothing is decided yet. The
// amount is the quote (rules.js quoteFee, the server's fees.quote), so what the phone shows
// is what the dossier will owe.
export function feeText(fees, values = null) {
  const quote = quoteFee(fees || {}, values || {});
  const rule = feeRule(fees, values);
  const reductions = ((fees && fees.rules) || []).filter((r) => r.amount < ((fees && fees.amount) || 0));
  let detail = '';
  if (rule || quote.label) detail = loc(quote.label || rule.label);
  if (!rule && quote.amount && reductions.length) detail = detail ? `${detail}; ${t('fee.reductions')}` : t('fee.reductions');
  return { amount: quote.amount, text: fmtMoney(quote.amount, quote.currency), detail };
}

// One line: "8.000 ₫ (có trường hợp được miễn, giảm)".
export function feeLine(fees, values = null) {
  const f = feeText(fees, values);
  return f.detail ? `${f.text} (${f.detail})` : f.text;
}

// A rule as the procedure page lists it: its label already says "free" when it is.
export function ruleLine(rule, fees) {
  const currency = (fees && fees.currency) || 'VND';
  const online = rule.online_amount != null && rule.online_amount < rule.amount
    ? ` (${t('fee.online_price', { amount: fmtMoney(rule.online_amount, currency) })})` : '';
  return rule.amount ? `${loc(rule.label)}: ${fmtMoney(rule.amount, currency)}${online}` : loc(rule.label);
}

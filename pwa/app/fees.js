// The fee in words, from one function: the catalog card, the procedure page, the form and the
// dossier say the same thing. Before the person has answered what a reduction depends on,
// the fee is the base amount "with exemptions"; once answered, the amount that applies and why.
import { fmtMoney, loc, t } from './i18n.js';
import { evaluate, filled, quoteFee } from './conditions.js';
import { todayDays } from './form_dates.js';

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
// (or the lower online fee, or the surcharge per item), or says that exemptions exist when
// nothing is decided yet. The amount is the quote (rules.js quoteFee, the server's fees.quote),
// so what the phone shows is what the dossier will owe. An unknown amount (null: a province's
// own rate) reads as such, never as "free".
export function feeText(fees, values = null) {
  fees = fees || {};
  const quote = quoteFee(fees, values || {});
  const rule = feeRule(fees, values);
  const unknown = quote.amount === null;
  const reductions = (fees.rules || []).filter((r) => (fees.amount == null ? r.amount != null : r.amount < fees.amount));
  const parts = [];
  if (rule || (quote.label && !unknown)) parts.push(loc(quote.label || rule.label));
  if (quote.extra && fees.per_item && fees.per_item.label) parts.push(loc(fees.per_item.label));
  if (!rule && quote.amount !== 0 && reductions.length) parts.push(t('fee.reductions'));
  const text = unknown ? t('fee.unknown') : fmtMoney(quote.amount, quote.currency);
  return { amount: quote.amount, text, detail: parts.join('; ') };
}

// "Lệ phí" or "Phí": the catalog says which kind of levy a procedure's fee is.
export function feeWord(fees) {
  return t(fees && fees.kind === 'phi' ? 'procedure.charge' : 'procedure.fee');
}

// When it is paid, in the same word.
export function dueText(fees, due) {
  return t(fees && fees.kind === 'phi' ? `fee.due_charge.${due}` : `fee.due.${due}`);
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

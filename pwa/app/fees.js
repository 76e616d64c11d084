// The fee in words, from one function: the catalog card, the procedure page, the form and the
// dossier say the same thing. Before the person has answered what a reduction depends on,
// the fee is the base amount "with exemptions"; once answered, the amount that applies and why.
import { fmtMoney, loc, t } from './i18n.js';
import { evaluate, filled, todayDays } from './rules.js';

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

// {amount, text, detail}: `text` is the amount in words; `detail` names the rule that applied,
// or says that exemptions exist when nothing is decided yet.
export function feeText(fees, values = null) {
  const currency = (fees && fees.currency) || 'VND';
  const rule = feeRule(fees, values);
  const amount = Math.trunc(rule ? rule.amount : (fees && fees.amount) || 0);
  const reductions = ((fees && fees.rules) || []).filter((r) => r.amount < ((fees && fees.amount) || 0));
  let detail = '';
  if (rule) detail = loc(rule.label);
  else if (amount && reductions.length) detail = t('fee.reductions');
  return { amount, text: fmtMoney(amount, currency), detail };
}

// One line: "8.000 ₫ (có trường hợp được miễn, giảm)".
export function feeLine(fees, values = null) {
  const f = feeText(fees, values);
  return f.detail ? `${f.text} (${f.detail})` : f.text;
}

// A rule as the procedure page lists it: its label already says "free" when it is.
export function ruleLine(rule, fees) {
  return rule.amount ? `${loc(rule.label)}: ${fmtMoney(rule.amount, (fees && fees.currency) || 'VND')}` : loc(rule.label);
}

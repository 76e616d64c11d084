// Conditions (`visible_if`, `required_if`, a fee rule's `when`) and the fee quote: what the
// catalog's first screen needs of the form rules (docs/form-schema.md), without the validation
// of rules.js, which re-exports them (a mirror of app/services/forms.py and fees.py).
import { parseDate, resolveDate, todayDays } from './form_dates.js';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

export function filled(value) {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (isObj(value)) return Object.keys(value).length > 0 && Object.values(value).some(filled);
  return true;
}

// Python ==: True == 1, 1 == 1.0, deep for lists and dicts, None for a missing value.
export function pyEq(a, b) {
  a = a === undefined ? null : a;
  b = b === undefined ? null : b;
  const num = (v) => (typeof v === 'boolean' ? Number(v) : v);
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) {
    return num(a) === num(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => pyEq(v, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => has(b, k) && pyEq(a[k], b[k]));
  }
  return a === b;
}

// A field's value as a condition sees it: a sibling in a group entry first, then top-level.
export const valueOf = (name, values, scope) => (scope !== null && has(scope, name) ? scope[name] : values[name]);

export function evaluate(cond, values, today, scope = null) {
  if (!cond || (isObj(cond) && Object.keys(cond).length === 0)) return true;
  if (has(cond, 'all')) return cond.all.every((c) => evaluate(c, values, today, scope));
  if (has(cond, 'any')) return cond.any.some((c) => evaluate(c, values, today, scope));
  const value = valueOf(cond.field, values, scope);
  if (has(cond, 'equals')) return pyEq(value, cond.equals);
  if (has(cond, 'not_equals')) return !pyEq(value, cond.not_equals);
  if (has(cond, 'in')) return cond.in.some((v) => pyEq(value, v));
  if (has(cond, 'filled')) return filled(value) === Boolean(cond.filled);
  if (has(cond, 'within_days')) {
    const d = parseDate(value);
    return d !== null && today - Math.trunc(cond.within_days) <= d && d <= today;
  }
  if (has(cond, 'after') || has(cond, 'before')) {
    const d = parseDate(value);
    const bound = resolveDate(has(cond, 'after') ? cond.after : cond.before, today);
    if (d === null || bound === null) return false;
    return has(cond, 'after') ? d > bound : d < bound;
  }
  return false;
}

// The fee quote, twin of app/services/fees.py `quote` (a browser test pins them equal):
// the first rule whose condition holds sets the amount, else the base; filed online, a
// lower `online_amount` replaces it; a `per_item` surcharge is added to an amount owed; a null
// amount is unknown (a province's own rate). Returns {amount, currency, due, rule, label, extra?}.
const DUE_WHEN = ['filing', 'decision', 'never'];

export function dueWhen(fees) {
  if (DUE_WHEN.includes(fees.due)) return fees.due;
  return (Math.trunc(fees.amount || 0) > 0 || (fees.rules || []).length) ? 'filing' : 'never';
}

export function quoteFee(fees, values, today = todayDays(), online = true) {
  fees = fees || {};
  let chosen = fees;
  let rule = 'base';
  for (const r of fees.rules || []) {
    if (evaluate(r.when, values, today)) { chosen = r; rule = String(r.code || 'rule'); break; }
  }
  let amount = chosen.amount === null ? null : Math.trunc(chosen.amount || 0);
  let label = chosen !== fees ? (chosen.label ?? null) : null;
  if (amount === null) label = label || fees.note || null;
  const onlineAmount = chosen.online_amount;
  if (online && amount !== null && onlineAmount !== undefined && onlineAmount !== null
      && Math.trunc(onlineAmount) < amount) {
    amount = Math.trunc(onlineAmount);
    label = chosen.online_label || label;
    rule = `${rule}:online`;
  }
  const extra = amount ? perItemExtra(fees.per_item, values) : 0;
  const quote = { amount: amount === null ? null : amount + extra, currency: fees.currency || 'VND',
    due: amount === 0 ? 'never' : dueWhen(fees), rule, label };
  if (extra) quote.extra = extra;
  return quote;
}

// `{field: "copies", from: 3, amount: 5000}`: the amount for each item counted in `field` from
// the `from`-th on (fees.py `per_item_extra`); 0 while the count is not a whole number.
export function perItemExtra(spec, values) {
  if (!spec) return 0;
  const count = (values || {})[spec.field];
  if (typeof count !== 'number' || !Number.isInteger(count)) return 0;
  return Math.max(0, count - Math.trunc(spec.from || 1) + 1) * Math.trunc(spec.amount || 0);
}

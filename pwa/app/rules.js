// Form schema rules (docs/form-schema.md), a line-by-line mirror of app/services/forms.py:
// same checks, same order, same message keys and texts (from /i18n/messages.json).
import { loc, message } from './i18n.js';
import { displayDate, parseDate, resolveDate, todayDays } from './form_dates.js';
import { evaluate, filled, pyEq, valueOf } from './conditions.js';

export { displayDate, isoDate, parseDate, resolveDate, todayDays } from './form_dates.js';
export { dueWhen, evaluate, filled, perItemExtra, pyEq, quoteFee } from './conditions.js';

export const STRING_TYPES = new Set(['text', 'textarea', 'phone', 'email', 'national_id', 'select', 'radio']);
// Python's `$` also matches before one final newline: `\n?$` keeps the same answers.
export const FORMATS = {
  phone: /^(0|\+84)(3|5|7|8|9)[0-9]{8}\n?$/,
  email: /^[^@\s]+@[^@\s]+\.[^@\s]+\n?$/,
  national_id: /^[0-9]{12}\n?$/,
};
const ADDRESS_KEYS = ['line', 'ward', 'province'];
const ADMIN_UNITS = 'admin_units'; // the code table of a coded address's ward and province
// Every typed string is bounded, also where the form sets no max_length (forms.py).
const DEFAULT_MAX_LENGTH = { textarea: 4000 };
const LINE_MAX_LENGTH = 500;
export const maxLength = (field) => (has(field, 'max_length') ? field.max_length
  : (DEFAULT_MAX_LENGTH[field.type] ?? LINE_MAX_LENGTH));

// An unfilled value of the field's own type; anything else is a wrong type, empty-looking or not.
function emptyOfItsType(field, value) {
  const type = field.type;
  if (value === null || value === undefined) return true;
  if (STRING_TYPES.has(type) || type === 'number' || type === 'date') return typeof value === 'string';
  if (type === 'checkbox') {
    return value === false || (Boolean(field.options && field.options.length) && Array.isArray(value) && value.length === 0);
  }
  if (type === 'group') return Array.isArray(value) && value.length === 0;
  if (type === 'address') {
    return isObj(value) && Object.entries(value).every(([k, v]) => ADDRESS_KEYS.includes(k) && typeof v === 'string');
  }
  return false;
}

function typeMessage(field, lang) {
  const type = field.type;
  let key = { number: 'type_number', date: 'date', address: 'type_object', group: 'type_list' }[type] || 'type_string';
  if (type === 'checkbox') key = field.options && field.options.length ? 'type_list' : 'type_boolean';
  return [message(key, null, lang)];
}

export function* iterFields(form) {
  for (const section of form.sections || []) yield* section.fields || [];
}

export function fieldMap(form) {
  const m = new Map();
  for (const f of iterFields(form)) m.set(f.name, f);
  return m;
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const len = (s) => [...s].length; // code points, like Python's len()

// Python's \\d matches any Unicode decimal digit in a str pattern.
function patternRe(pattern) {
  return new RegExp(`^(?:${pattern.replace(/(?<!\\)((?:\\\\)*)\\d/g, '$1\\p{Nd}')})$`, 'u');
}

// One item of a code table the phone holds (`tables`: {name: document}): the item, null for a
// code the table does not hold, undefined when the phone has no copy of the table (then the
// server judges the code: forms._table_item).
const tableIndexes = new WeakMap();
function tableItem(tables, name, code) {
  const doc = tables && typeof name === 'string' && has(tables, name) ? tables[name] : null;
  if (!doc) return undefined;
  if (!tableIndexes.has(doc)) tableIndexes.set(doc, new Map((doc.items || []).map((i) => [i.code, i])));
  const index = tableIndexes.get(doc);
  return index.has(code) ? index.get(code) : null;
}

// A select's or radio's code from its options_from table (forms._code_errors).
function codeErrors(field, code, lang, parent, tables) {
  const m = (k) => message(k, null, lang);
  const found = tableItem(tables, field.options_from, code);
  if (found === undefined) return [];
  if (found === null || (has(field, 'level') && found.level !== field.level)) return [m('option')];
  if (has(field, 'parent_field')) {
    if (found.parent == null) return [m('option')];
    const chosen = typeof parent === 'string' ? tableItem(tables, field.options_from, parent) : null;
    if (chosen && chosen.level === 'province' && found.parent !== parent) return [m('ward_province')];
  }
  return [];
}

// A coded address (forms._address_code_errors): a province, one of its communes, and the line
// for a dossier being submitted.
function addressCodeErrors(value, lang, complete, tables) {
  const m = (k) => message(k, null, lang);
  const errs = [];
  const province = value.province ?? '';
  const ward = value.ward ?? '';
  if (tables && has(tables, ADMIN_UNITS)) {
    let unit = province ? tableItem(tables, ADMIN_UNITS, province) : null;
    if (province && (unit === null || unit.level !== 'province')) {
      errs.push(m('province_unknown'));
      unit = null;
    }
    const commune = ward ? tableItem(tables, ADMIN_UNITS, ward) : null;
    if (ward && (commune === null || commune.level !== 'commune')) errs.push(m('ward_unknown'));
    else if (commune !== null && unit !== null && commune.parent !== province) errs.push(m('ward_province'));
  }
  if (complete && !ADDRESS_KEYS.every((k) => filled(value[k]))) errs.push(m('address_incomplete'));
  return errs;
}

// Messages for one present value of one (non-group) field; `values` and `scope` (a group entry)
// hold the others, for a select whose units depend on another's.
function checkValue(field, value, lang, today, values, scope, complete, tables) {
  const type = field.type;
  const errs = [];
  const m = (k, p) => message(k, p, lang);
  if (STRING_TYPES.has(type)) {
    if (typeof value !== 'string') return [m('type_string')];
    if (value.includes('\0')) return [m('nul')];
    if (has(field, 'min_length') && len(value) < field.min_length) errs.push(m('min_length', { min_length: field.min_length }));
    if (len(value) > maxLength(field)) errs.push(m('max_length', { max_length: maxLength(field) }));
    if (FORMATS[type] && !FORMATS[type].test(value)) errs.push(m(type));
    if (field.pattern && !patternRe(field.pattern).test(value)) errs.push(m('pattern'));
    if ((type === 'select' || type === 'radio') && field.options && field.options.length) {
      if (!field.options.some((o) => o.value === value)) errs.push(m('option'));
    } else if ((type === 'select' || type === 'radio') && field.options_from) {
      const parent = has(field, 'parent_field') ? valueOf(field.parent_field, values, scope) : null;
      errs.push(...codeErrors(field, value, lang, parent, tables));
    }
  } else if (type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return [m('type_number')];
    if (has(field, 'min') && value < field.min) errs.push(m('min', { min: field.min }));
    if (has(field, 'max') && value > field.max) errs.push(m('max', { max: field.max }));
  } else if (type === 'date') {
    const d = parseDate(value);
    if (d === null) return [m('date')];
    const lo = resolveDate(field.min, today);
    const hi = resolveDate(field.max, today);
    if (lo !== null && d < lo) errs.push(m('date_min', { min: displayDate(lo) }));
    if (hi !== null && d > hi) errs.push(m('date_max', { max: displayDate(hi) }));
  } else if (type === 'checkbox') {
    if (field.options && field.options.length) {
      if (!Array.isArray(value)) return [m('type_list')];
      if (value.some((v) => !field.options.some((o) => pyEq(o.value, v)))) errs.push(m('option'));
    } else if (typeof value !== 'boolean') errs.push(m('type_boolean'));
  } else if (type === 'address') {
    if (!isObj(value) || Object.entries(value).some(([k, v]) => !ADDRESS_KEYS.includes(k) || typeof v !== 'string')) {
      return [m('type_object')];
    }
    if (Object.values(value).some((v) => v.includes('\0'))) return [m('nul')];
    if (Object.values(value).some((v) => len(v) > maxLength(field))) {
      errs.push(m('max_length', { max_length: maxLength(field) }));
    }
    if (field.options_from === ADMIN_UNITS) errs.push(...addressCodeErrors(value, lang, complete, tables));
  }
  return errs;
}

// Per-field messages for a set of values; complete=false skips required checks (drafts).
// `tables`: the code tables the phone holds, {name: document} (code_tables.js).
export function validate(form, values, lang, { complete = true, today = todayDays(), tables = null } = {}) {
  if (!isObj(values)) return { fields: [message('type_object', null, lang)] };
  const errors = {};
  const fields = fieldMap(form);
  for (const name of Object.keys(values)) {
    if (!fields.has(name)) errors[name] = [message('unknown_field', null, lang)];
  }
  for (const [name, field] of fields) {
    if (!evaluate(field.visible_if, values, today)) continue;
    const value = values[name];
    if (!filled(value)) {
      if (!emptyOfItsType(field, value)) errors[name] = typeMessage(field, lang);
      else if (complete && field.required) errors[name] = [message('required', null, lang)];
      continue;
    }
    if (field.type === 'group') {
      Object.assign(errors, validateGroup(field, value, values, lang, complete, today, tables));
      continue;
    }
    const errs = checkValue(field, value, lang, today, values, null, complete, tables);
    if (errs.length) errors[name] = errs;
  }
  if (complete) {
    for (const [name, msgs] of Object.entries(ruleErrors(form, values, lang, today, fields))) {
      (errors[name] ||= []).push(...msgs);
    }
  }
  return errors;
}

// The form's cross-field `rules` (forms.rule_errors): when one's refuse_if holds, each listed
// field that is shown gets its message; judged on the shown fields' values only.
export function ruleErrors(form, values, lang, today, fields = fieldMap(form)) {
  const shown = {};
  for (const [k, v] of Object.entries(values)) {
    if (fields.has(k) && evaluate(fields.get(k).visible_if, values, today)) shown[k] = v;
  }
  const errors = {};
  for (const rule of form.rules || []) {
    if (!evaluate(rule.refuse_if, shown, today)) continue;
    for (const name of rule.fields) {
      if (fields.has(name) && evaluate(fields.get(name).visible_if, values, today)) {
        (errors[name] ||= []).push(loc(rule.message, lang));
      }
    }
  }
  return errors;
}

function validateGroup(field, items, values, lang, complete, today, tables) {
  const name = field.name;
  if (!Array.isArray(items) || items.some((i) => !isObj(i))) return { [name]: [message('type_list', null, lang)] };
  const errors = {};
  if (complete && items.length < (field.min_items || 0)) {
    errors[name] = [message('min_items', { min_items: field.min_items }, lang)];
  }
  if (has(field, 'max_items') && items.length > field.max_items) {
    errors[name] = [message('max_items', { max_items: field.max_items }, lang)];
  }
  const subs = new Map((field.fields || []).map((f) => [f.name, f]));
  items.forEach((item, i) => {
    for (const key of Object.keys(item)) {
      if (!subs.has(key)) errors[`${name}.${i}.${key}`] = [message('unknown_field', null, lang)];
    }
    for (const [subName, sub] of subs) {
      if (!evaluate(sub.visible_if, values, today, item)) continue;
      const value = item[subName];
      if (!filled(value)) {
        if (!emptyOfItsType(sub, value)) errors[`${name}.${i}.${subName}`] = typeMessage(sub, lang);
        else if (complete && sub.required) errors[`${name}.${i}.${subName}`] = [message('required', null, lang)];
        continue;
      }
      const errs = checkValue(sub, value, lang, today, values, item, complete, tables);
      if (errs.length) errors[`${name}.${i}.${subName}`] = errs;
    }
  });
  return errors;
}

export function visibleValues(form, values, today = todayDays()) {
  const fields = fieldMap(form);
  return Object.fromEntries(Object.entries(values).filter(
    ([k]) => fields.has(k) && evaluate(fields.get(k).visible_if, values, today)));
}

export function requiredDocuments(form, values, today = todayDays()) {
  return (form.documents || []).filter(
    (d) => d.required || (has(d, 'required_if') && evaluate(d.required_if, values, today)));
}

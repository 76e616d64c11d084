// Renders a form version (docs/form-schema.md) as accessible HTML and validates it with the
// server's rules (rules.js mirrors app/services/forms.py), showing the server's messages.
import { h, clear } from './dom.js';
import { loadMessages, loc, t } from './i18n.js';
import { fold } from './catalog.js';
import { evaluate, fieldMap, iterFields, ruleErrors, todayDays, validate } from './rules.js';

export * from './rules.js';

// Every screen with a form shows the server's messages: have them before it renders.
await loadMessages().catch(() => {});

// A date is typed as ngày/tháng/năm (17/05/1990) whatever the browser's locale: the browser's
// own date control follows the phone's language, which may show mm/dd/yyyy to a Vietnamese
// reader. Stored and sent as ISO (1990-05-17); ISO typed in is accepted too.
const INPUT_TYPES = { text: 'text', phone: 'tel', email: 'email', national_id: 'text', number: 'number', date: 'text' };

export function dateFromTyped(text) {
  const v = String(text || '').trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const m = /^(\d{1,2})[/.\s-](\d{1,2})[/.\s-](\d{4})$/.exec(v) || /^(\d{2})(\d{2})(\d{4})$/.exec(v);
  if (!m) return v; // not a date: the rules say so in the reader's language
  return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
}

export function dateForDisplay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (iso ?? '');
}
// A field's choices: its own options, or the items of its code table (`tables`: {name:
// document}) of its `level`, or the communes of the province chosen in its parent_field. A
// value the list does not hold stays listed (a table not fetched yet must not erase it).
export function choices(field, tables, parent = null, value = null) {
  let list = field.options || [];
  if (field.options_from) {
    const doc = tables && tables[field.options_from];
    list = (doc ? doc.items : []).filter((i) => (!field.level || i.level === field.level)
      && (!field.parent_field || (parent && i.parent === parent)))
      .map((i) => ({ value: i.code, label: i.name }));
  }
  if (typeof value === 'string' && value && !list.some((o) => o.value === value)) list = [...list, { value, label: value }];
  return list;
}
// A value as a reader reads it (forms.shown_value): an option's label, a code table item's
// name, in the same shape; the dossier keeps the codes.
export function shownValue(field, value, tables) {
  if (!field) return value;
  if (field.type === 'group' && Array.isArray(value)) {
    const subs = new Map((field.fields || []).map((f) => [f.name, f]));
    return value.map((item) => (item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).map(([k, v]) => [k, subs.has(k) ? shownValue(subs.get(k), v, tables) : v])) : item));
  }
  const name = (table, code) => {
    const found = choices({ options_from: table }, tables).find((o) => o.value === code);
    return found ? loc(found.label) : code;
  };
  if (field.type === 'address' && field.options_from === 'admin_units' && value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'ward' || k === 'province' ? name('admin_units', v) : v]));
  }
  if (field.options_from) return name(field.options_from, value);
  const label = (v) => { const o = (field.options || []).find((x) => x.value === v); return o ? loc(o.label) : v; };
  return Array.isArray(value) ? value.map(label) : label(value);
}
const LONG_LIST = 20; // longer lists get a search box above the select

function optionsOf(field, list, value) {
  return [h('option', { value: '' }, field.parent_field && !list.length ? t('form.choose_province_first') : t('form.choose')),
    ...list.map((o) => h('option', { value: o.value, selected: o.value === value }, loc(o.label)))];
}

// What a search matches: letters and digits without diacritics ("H'Mông" finds "Mông"),
// in every language's name and the code.
const searchable = (text) => fold(text).replace(/[^a-z0-9]+/g, ' ');
const haystack = (o) => [...(typeof o.label === 'object' && o.label ? Object.values(o.label) : [o.label]), o.value].join(' ');

// A native select (usable with a phone's own picker) and, for a long list, a search box that
// narrows it (as above); the chosen item always stays listed.
function selectControl(field, common, list, value, readonly) {
  const select = h('select', common, optionsOf(field, list, value));
  if (list.length <= LONG_LIST || readonly) return select;
  const search = h('input.list-search', { type: 'search', id: `${common.id}-search`, 'aria-controls': common.id,
    placeholder: t('form.search_list'), 'aria-label': t('form.search_list'), autocomplete: 'off' });
  const narrow = (e) => {
    e.stopPropagation(); // typing a search is not an edit of the form
    const words = searchable(search.value).split(' ').filter(Boolean);
    const shown = list.filter((o) => o.value === select.value || words.every((w) => searchable(haystack(o)).includes(w)));
    const keep = select.value;
    select.replaceChildren(...optionsOf(field, shown, keep));
    select.value = keep;
  };
  search.addEventListener('input', narrow);
  search.addEventListener('change', (e) => e.stopPropagation());
  return h('div.long-list', search, select);
}

// A coded address: the province, then a select of its communes, then the line.
function codedAddress(field, id, v, readonly, describedBy, tables) {
  const units = { options_from: 'admin_units' };
  const province = h('select', { id: `${id}-province`, 'data-part': 'province', disabled: readonly, 'aria-describedby': describedBy },
    optionsOf(field, choices({ ...units, level: 'province' }, tables, null, v.province), v.province));
  const communeField = { ...units, parent_field: 'province' };
  const ward = h('select', { id: `${id}-ward`, 'data-part': 'ward', disabled: readonly, 'aria-describedby': describedBy },
    optionsOf(communeField, choices(communeField, tables, v.province, v.ward), v.ward));
  let builtFor = v.province || '';
  // Runs before the field's own listeners (it is on the control itself): the commune list and
  // value follow the province before the value is read.
  const follow = () => {
    if (province.value === builtFor) return;
    builtFor = province.value;
    ward.replaceChildren(...optionsOf(communeField, choices(communeField, tables, builtFor), ''));
    ward.value = '';
  };
  province.addEventListener('input', follow);
  province.addEventListener('change', follow);
  const line = h('input', { type: 'text', id: `${id}-line`, 'data-part': 'line', value: v.line ?? '', disabled: readonly,
    autocomplete: 'street-address', 'aria-describedby': describedBy });
  const part = (name, control) => h('div.sub', h('label', { for: `${id}-${name}` }, t(`address.${name}`)), control);
  return h('div.address.coded', { role: 'group', 'aria-labelledby': `l-${id}` },
    part('province', province), part('ward', ward), part('line', line));
}

const idOf = (key) => `f-${key.replace(/\./g, '-')}`;
const errIdOf = (key) => `e-${key.replace(/\./g, '-')}`;

// Reads one control's value in the shape the schema gives its type.
function readControl(field, box) {
  const q = (sel) => box.querySelector(sel);
  switch (field.type) {
    case 'number': { const v = q('input').value; return v === '' ? null : Number(v); }
    case 'date': { const v = q('input').value.trim(); return v === '' ? null : dateFromTyped(v); }
    case 'select': { const v = q('select').value; return v === '' ? null : v; }
    case 'radio': { const c = q('input:checked'); return c ? c.value : null; }
    case 'checkbox':
      if (field.options && field.options.length) {
        return [...box.querySelectorAll('input:checked')].map((i) => i.value);
      }
      return q('input').checked;
    case 'address': {
      const v = {};
      for (const k of ['line', 'ward', 'province']) v[k] = q(`[data-part="${k}"]`).value;
      return v;
    }
    default: return q('input,textarea').value;
  }
}

// `ctx`: {tables, parent} — the code tables, and the value of the field's parent_field.
function control(field, key, value, readonly, ctx = {}) {
  const id = idOf(key);
  const common = { id, 'aria-describedby': `${errIdOf(key)} ${field.help ? `h-${id}` : ''}`.trim(),
    disabled: readonly, 'aria-required': field.required ? 'true' : null };
  const opt = (o) => loc(o.label);
  switch (field.type) {
    case 'textarea':
      return h('textarea', { ...common, rows: 3, maxlength: field.max_length, value: value ?? '' });
    case 'select':
      return selectControl(field, common, choices(field, ctx.tables, ctx.parent, value), value, readonly);
    case 'radio': case 'checkbox': {
      if (field.type === 'checkbox' && !(field.options && field.options.length)) {
        return h('input', { ...common, type: 'checkbox', checked: value === true });
      }
      const type = field.type;
      return h('div.choices', { role: 'group', 'aria-labelledby': `l-${id}` },
        choices(field, ctx.tables, ctx.parent, type === 'radio' ? value : null).map((o, i) => h('label.choice', { for: `${id}-${i}` },
          h('input', { type, id: `${id}-${i}`, name: id, value: o.value, disabled: readonly,
            checked: type === 'radio' ? value === o.value : Array.isArray(value) && value.includes(o.value),
            'aria-describedby': common['aria-describedby'] }), ' ', opt(o))));
    }
    case 'address': {
      const v = value || {};
      if (field.options_from === 'admin_units') return codedAddress(field, id, v, readonly, common['aria-describedby'], ctx.tables);
      return h('div.address', { role: 'group', 'aria-labelledby': `l-${id}` },
        ['line', 'ward', 'province'].map((part) => h('div.sub', h('label', { for: `${id}-${part}` }, t(`address.${part}`)),
          h('input', { type: 'text', id: `${id}-${part}`, 'data-part': part, value: v[part] ?? '', disabled: readonly,
            autocomplete: part === 'line' ? 'street-address' : 'off', 'aria-describedby': common['aria-describedby'] }))));
    }
    default: {
      const attrs = { ...common, type: INPUT_TYPES[field.type] || 'text', value: value ?? '' };
      if (field.type === 'national_id') Object.assign(attrs, { inputmode: 'numeric', maxlength: 12, autocomplete: 'off' });
      if (field.type === 'phone') attrs.autocomplete = 'tel';
      if (field.type === 'email') attrs.autocomplete = 'email';
      if (field.type === 'number') Object.assign(attrs, { min: field.min, max: field.max, step: 'any', inputmode: 'decimal' });
      if (field.type === 'date') {
        Object.assign(attrs, { value: dateForDisplay(value), placeholder: t('form.date_hint'), autocomplete: 'off',
          inputmode: 'text', maxlength: 10, 'data-date': 'dmy' });
      }
      if (field.max_length) attrs.maxlength = field.max_length;
      return h('input', attrs);
    }
  }
}

function fieldBox(field, key, value, readonly, onInput, ctx = {}) {
  const id = idOf(key);
  const grouped = ['radio', 'address'].includes(field.type) || (field.type === 'checkbox' && field.options && field.options.length);
  const label = h(grouped ? 'span.label' : 'label', { id: `l-${id}`, for: grouped ? null : id },
    loc(field.label), field.required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null);
  const box = h('div.field', { 'data-key': key, 'data-type': field.type },
    field.type === 'checkbox' && !(field.options && field.options.length)
      ? h('div.check', control(field, key, value, readonly), label)
      : [label, field.help ? h('p.help', { id: `h-${id}` }, loc(field.help)) : null, control(field, key, value, readonly, ctx)],
    field.type === 'checkbox' && !(field.options && field.options.length) && field.help ? h('p.help', { id: `h-${id}` }, loc(field.help)) : null,
    h('p.error', { id: errIdOf(key), role: 'alert' }));
  if (!readonly) {
    box.addEventListener('input', () => onInput(key, readControl(field, box)));
    box.addEventListener('change', () => onInput(key, readControl(field, box)));
    box.addEventListener('focusout', (event) => {
      const value = readControl(field, box);
      // A date typed any accepted way is shown back as ngày/tháng/năm once the person moves on.
      if (field.type === 'date' && value && /^\d{4}-\d{2}-\d{2}$/.test(value)) box.querySelector('input').value = dateForDisplay(value);
      // Leaving the field for a button (Submit, Save): its message would appear now and move
      // the button from under the finger, losing the tap. The button's own check shows it.
      const toButton = event.relatedTarget instanceof Element && event.relatedTarget.closest('button');
      onInput(key, value, !toButton);
    });
  }
  return box;
}

// Renders `form` with `values` into `root`. onChange(values) is called on each edit.
// `only`: names of the top-level fields to show (a supplement answers named fields only).
// `tables`: the code tables the form's options come from ({name: document}, code_tables.js).
export function renderForm(root, form, initial, { onChange = () => {}, readonly = false, only = null, tables = {} } = {}) {
  let values = structuredClone(initial || {});
  let errors = {};
  let touched = new Set();
  let showAll = false;
  let notes = {}; // key -> a note under the field (where a prefilled value came from)
  const today = todayDays();
  const ctxOf = (field, scope) => ({ tables, parent: field.parent_field ? scope[field.parent_field] : null });

  // A select of the communes of another select's province follows it: its list is redrawn,
  // and a commune of another province is cleared.
  const followParent = (key) => {
    const parts = key.split('.');
    const inGroup = parts.length === 3;
    const scope = inGroup ? values[parts[0]][+parts[1]] : values;
    const name = parts[parts.length - 1];
    const siblings = inGroup ? fieldMap(form).get(parts[0]).fields || [] : [...iterFields(form)];
    for (const child of siblings.filter((f) => f.parent_field === name)) {
      const childKey = inGroup ? `${parts[0]}.${parts[1]}.${child.name}` : child.name;
      if (scope[child.name] && !choices(child, tables, scope[name]).some((o) => o.value === scope[child.name])) scope[child.name] = null;
      const box = root.querySelector(`[data-key="${childKey}"]`);
      if (box) box.replaceWith(fieldBox(child, childKey, scope[child.name], readonly, setValue, ctxOf(child, scope)));
    }
  };

  const setValue = (key, value, blur = false) => {
    const parts = key.split('.');
    const scope = parts.length === 3 ? values[parts[0]][+parts[1]] : values;
    const changed = JSON.stringify(scope[parts[parts.length - 1]] ?? null) !== JSON.stringify(value ?? null);
    scope[parts[parts.length - 1]] = value;
    if (blur) touched.add(key);
    if (changed) followParent(key);
    refresh();
    onChange(values, key);
  };

  const renderGroup = (field) => {
    const list = h('div.items');
    const add = h('button.secondary', { type: 'button', disabled: readonly }, `+ ${t('form.add_item')}`);
    const draw = () => {
      clear(list);
      const items = Array.isArray(values[field.name]) ? values[field.name] : [];
      items.forEach((item, i) => {
        list.append(h('fieldset.item', { 'data-index': i },
          h('legend', `${loc(field.label)} ${i + 1}`),
          (field.fields || []).map((sub) => fieldBox(sub, `${field.name}.${i}.${sub.name}`, item[sub.name], readonly, setValue, ctxOf(sub, item))),
          readonly ? null : h('button.link', { type: 'button', onclick: () => {
            values[field.name].splice(i, 1);
            draw(); refresh(); onChange(values, field.name);
          } }, t('form.remove_item'))));
      });
      add.hidden = readonly || (field.max_items !== undefined && items.length >= field.max_items);
    };
    add.addEventListener('click', () => {
      if (!Array.isArray(values[field.name])) values[field.name] = [];
      values[field.name].push({});
      draw(); refresh(); onChange(values, field.name);
      const last = list.lastElementChild && list.lastElementChild.querySelector('input,select,textarea');
      if (last) last.focus();
    });
    draw();
    return h('div.field.group', { 'data-key': field.name, 'data-type': 'group' },
      h('span.label', { id: `l-${idOf(field.name)}` }, loc(field.label), field.required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null),
      field.help ? h('p.help', loc(field.help)) : null, list, add,
      h('p.error', { id: errIdOf(field.name), role: 'alert' }));
  };

  const build = () => {
    clear(root);
    for (const section of form.sections || []) {
      const fields = (section.fields || []).filter((f) => !only || only.includes(f.name));
      if (!fields.length) continue;
      root.append(h('fieldset.section', h('legend', loc(section.title)),
        fields.map((f) => (f.type === 'group' ? renderGroup(f) : fieldBox(f, f.name, values[f.name], readonly, setValue, ctxOf(f, values))))));
    }
    annotate();
  };
  // Notes sit between the control and its error, and are read with the control.
  function annotate() {
    for (const el of root.querySelectorAll('p.note-src')) el.remove();
    for (const [key, note] of Object.entries(notes)) {
      const box = root.querySelector(`[data-key="${key}"]`);
      if (!box || !note) continue;
      const nid = `n-${idOf(key)}`;
      box.querySelector(':scope > p.error').before(h('p.note-src', { id: nid }, note));
      for (const c of box.querySelectorAll('input, select, textarea')) {
        const ids = (c.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        if (!ids.includes(nid)) c.setAttribute('aria-describedby', [...ids, nid].join(' '));
      }
    }
  }
  build();

  function refresh() {
    // Visibility: hidden fields are not required and their values are ignored.
    for (const f of iterFields(form)) {
      const box = root.querySelector(`[data-key="${f.name}"]`);
      if (box) box.hidden = !evaluate(f.visible_if, values, today);
      if (f.type === 'group' && Array.isArray(values[f.name])) {
        values[f.name].forEach((item, i) => {
          for (const sub of f.fields || []) {
            const b = root.querySelector(`[data-key="${f.name}.${i}.${sub.name}"]`);
            if (b) b.hidden = !evaluate(sub.visible_if, values, today, item);
          }
        });
      }
    }
    // A section whose every field is hidden (the case it asks about does not apply) goes too.
    for (const section of root.querySelectorAll('fieldset.section')) {
      const boxes = [...section.children].filter((c) => c.dataset && c.dataset.key);
      section.hidden = boxes.length > 0 && boxes.every((b) => b.hidden);
    }
    errors = validate(form, values, undefined, { complete: showAll, today, tables });
    // A cross-field rule refuses the dossier, not the draft: still, say so on a field the
    // person has already filled, not only after "Submit".
    if (!showAll) {
      for (const [k, msgs] of Object.entries(ruleErrors(form, values, undefined, today))) (errors[k] ||= []).push(...msgs);
    }
    if (only) errors = Object.fromEntries(Object.entries(errors).filter(([k]) => only.includes(k.split('.')[0])));
    for (const box of root.querySelectorAll('[data-key]')) {
      const key = box.dataset.key;
      const show = showAll || touched.has(key);
      const msgs = show ? errors[key] || [] : [];
      const el = box.querySelector(`#${errIdOf(key).replace(/[^\w-]/g, '\\$&')}`);
      if (el && el.textContent !== msgs.join(' ')) el.textContent = msgs.join(' ');
      box.classList.toggle('invalid', msgs.length > 0);
      for (const c of box.querySelectorAll(':scope > input, :scope > select, :scope > textarea, :scope > .check > input')) {
        c.setAttribute('aria-invalid', msgs.length ? 'true' : 'false');
      }
    }
  }
  refresh();

  return {
    values: () => values,
    // Full validation (required fields included); returns the errors and shows them all.
    check() {
      showAll = true;
      refresh();
      return errors;
    },
    showServerErrors(serverErrors) {
      showAll = true;
      refresh();
      for (const [key, msgs] of Object.entries(serverErrors || {})) {
        const el = root.querySelector(`#${errIdOf(key).replace(/[^\w-]/g, '\\$&')}`);
        if (el) el.textContent = msgs.join(' ');
      }
    },
    focusFirstError() {
      const bad = root.querySelector('.field.invalid:not([hidden]) input, .field.invalid:not([hidden]) select, .field.invalid:not([hidden]) textarea, .field.invalid:not([hidden]) button');
      if (bad) bad.focus();
    },
    reset() { touched = new Set(); showAll = false; refresh(); },
    setNotes(next) { notes = next || {}; annotate(); },
    // New values from elsewhere (another phone's edits): redraw, keeping the focused control.
    replace(next) {
      const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
      values = structuredClone(next || {});
      build();
      refresh();
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    },
  };
}

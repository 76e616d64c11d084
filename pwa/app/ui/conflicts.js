// Settling conflicts: both values side by side; the one chosen is sent as `conflict.resolve`.
import { getForm } from '../catalog.js';
import { h } from '../dom.js';
import { loc, t, fmtDate } from '../i18n.js';
import { fieldMap, shownValue } from '../forms.js';
import { tablesFor } from '../code_tables.js';
import { store } from '../db.js';
import { enqueue } from '../outbox.js';
import { title, toast } from './shell.js';

export function openConflicts(all) {
  return all.filter((c) => !c.resolved_at && !c.local_choice);
}

function show(value) {
  if (value === null || value === undefined || value === '') return t('conflict.empty');
  if (typeof value === 'object') return Array.isArray(value) ? value.map(show).join(', ') : Object.values(value).filter(Boolean).join(', ');
  if (value === true) return t('common.yes');
  if (value === false) return t('common.no');
  return String(value);
}

export async function renderConflicts(main) {
  const s = store();
  const items = openConflicts(await s.all('conflicts'));
  const dossiers = new Map((await s.all('dossiers')).map((d) => [d.id, d]));
  const list = h('ul.cards');
  for (const c of items) {
    const d = dossiers.get(c.dossier_id);
    let label = c.field;
    let view = show; // a code shown by its name (the item of its table, the option's label)
    if (d) {
      try {
        const form = (await getForm(d.procedure_code, d.form_version)).form;
        const field = fieldMap(form).get(c.field);
        label = loc((field || {}).label) || c.field;
        const tables = await tablesFor(form);
        view = (v) => show(shownValue(field, v, tables));
      } catch { /* form not cached */ }
    }
    const choose = async (choice) => {
      await enqueue('conflict.resolve', { conflict_id: c.id, use: choice });
      await s.put('conflicts', { ...c, local_choice: choice });
      toast(t('conflict.chosen'));
      window.dispatchEvent(new CustomEvent('hoso:counts'));
      window.dispatchEvent(new CustomEvent('hoso:rerender'));
    };
    list.append(h('li.card.conflict', { 'data-id': c.id, 'data-field': c.field },
      h('h2', label), d ? h('p.muted', loc(d.procedure_name)) : null,
      h('div.choices-2',
        h('div.choice-card', h('p.label', t('conflict.kept')), h('p.value', { 'data-value': 'kept' }, view(c.kept)),
          h('button.primary', { type: 'button', onclick: () => choose('kept') }, t('conflict.keep_this'))),
        h('div.choice-card', h('p.label', t('conflict.other'), c.other_captured_at ? ` (${fmtDate(c.other_captured_at)})` : ''),
          h('p.value', { 'data-value': 'other' }, view(c.other)),
          h('button.secondary', { type: 'button', onclick: () => choose('other') }, t('conflict.use_this'))))));
  }
  if (!items.length) list.append(h('li.empty', t('conflict.none')));
  title(main, t('conflicts.title'), h('p', t('conflict.intro')), list);
}

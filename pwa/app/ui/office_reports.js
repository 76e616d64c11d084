// Who did what (`#/office/reports`): the workload per official (held now, late among them,
// steps and dossiers finished in 30 days) and the audit log an inspector reads, filtered by
// day, official and step, a page at a time, and as CSV.
import * as api from '../api.js';
import { add, h } from '../dom.js';
import { t, fmtDate } from '../i18n.js';
import { dateForDisplay, dateFromTyped } from '../forms.js';
import { statusText } from './dossiers.js';
import { problemText, title } from './shell.js';
import { deskNav } from './office.js';

const ACTIONS = ['submit', 'accept', 'refuse', 'assign', 'start', 'request_supplement', 'supplement', 'request_fee', 'confirm_fee', 'propose', 'send_back', 'complete', 'return_result', 'apologise', 'stop', 'resume', 'withdraw', 'transfer'];

function table(caption, heads, rows, id) {
  return h('table.desk', { id }, h('caption', caption),
    h('thead', h('tr', heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', rows.length ? rows : h('tr', h('td', { colspan: heads.length }, t('office.none')))));
}

export async function renderOfficeReports(main, params) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return null; }
  document.body.classList.add('wide');
  const q = new URLSearchParams(params.query || '');
  const field = (id, label, control) => h('div.field', h('label', { for: id }, label), control);
  let officials = [];
  try { officials = (await api.get('/api/v1/office/officials')).items; } catch { /* the log still shows */ }
  const filters = h('form.filters', { role: 'search' },
    field('au-from', t('desk.from_day'), h('input', { id: 'au-from', value: dateForDisplay(q.get('day_from')), placeholder: 'dd/mm/yyyy', size: 10 })),
    field('au-to', t('desk.to'), h('input', { id: 'au-to', value: dateForDisplay(q.get('day_to')), placeholder: 'dd/mm/yyyy', size: 10 })),
    field('au-actor', t('desk.official'), h('select', { id: 'au-actor' }, h('option', { value: '' }, t('office.any')),
      officials.map((o) => h('option', { value: String(o.id), selected: String(o.id) === q.get('actor_id') }, `${o.name} (${t(`role.${o.role}`)})`)))),
    field('au-action', t('desk.step'), h('select', { id: 'au-action' }, h('option', { value: '' }, t('office.any')),
      ACTIONS.map((a) => h('option', { value: a, selected: a === q.get('action') }, t(`timeline.${a}`))))),
    h('button.primary', { type: 'submit' }, t('office.filter')));
  const read = () => {
    const next = new URLSearchParams();
    for (const [key, id] of [['day_from', 'au-from'], ['day_to', 'au-to']]) {
      const v = dateFromTyped(filters.querySelector(`#${id}`).value);
      if (/^\d{4}-\d{2}-\d{2}$/.test(v)) next.set(key, v);
    }
    for (const [key, id] of [['actor_id', 'au-actor'], ['action', 'au-action']]) {
      const v = filters.querySelector(`#${id}`).value;
      if (v) next.set(key, v);
    }
    return next;
  };
  filters.addEventListener('submit', (e) => { e.preventDefault(); location.hash = `#/office/reports?${read()}`; });
  const csv = h('button.secondary', { type: 'button', id: 'audit-csv', onclick: async () => {
    const r = await api.send('GET', `/api/v1/office/audit.csv?${read()}`);
    const a = h('a', { href: URL.createObjectURL(await r.blob()), download: 'nhat-ky-xu-ly.csv' });
    document.body.append(a); a.click(); a.remove();
  } }, t('desk.audit_csv'));
  title(main, t('desk.reports'), deskNav('#/office/reports'));
  const page = Number(q.get('page') || 1);
  const query = new URLSearchParams(q);
  query.set('per_page', '50');
  try {
    const [load, log] = await Promise.all([api.get('/api/v1/office/workload'), api.get(`/api/v1/office/audit?${query}`)]);
    add(main,
      table(t('desk.workload', { date: fmtDate(load.since) }), [t('desk.official'), t('desk.role'), t('desk.holding'), t('desk.holding_overdue'), t('desk.steps'), t('desk.finished')],
        load.items.map((o) => h('tr', { 'data-official': o.id }, h('td', o.name), h('td', t(`role.${o.role}`)), h('td', String(o.holding)),
          h('td', String(o.holding_overdue)), h('td', String(o.steps)), h('td', String(o.finished)))), 'workload'),
      Object.keys(load.unassigned).length ? h('p.muted', { id: 'unassigned' }, t('desk.unassigned'), ' ',
        Object.entries(load.unassigned).map(([s, n]) => `${statusText(s)}: ${n}`).join(' · ')) : null,
      h('h2', t('desk.audit')), filters, csv,
      table(t('desk.audit_total', { total: log.total }), [t('office.pay_time'), t('desk.who'), t('desk.step'), t('dossier.status'), t('dossier.receipt'), t('office.note')],
        log.items.map((e) => h('tr', { 'data-event': e.id },
          h('td', fmtDate(e.at)), h('td', e.actor_name || '—', e.actor_role ? ` (${t(`role.${e.actor_role}`)})` : ''),
          h('td', t(`timeline.${e.action}`)), h('td', e.from_status && e.from_status !== e.to_status ? `${statusText(e.from_status)} → ${statusText(e.to_status)}` : statusText(e.to_status)),
          h('td', e.here === false ? (e.receipt_code || t('office.no_receipt'))
            : h('a', { href: `#/office/${e.dossier_id}` }, e.receipt_code || t('office.no_receipt'))), h('td', e.note || ''))), 'audit'),
      log.total > log.per_page ? h('nav.pager',
        page > 1 ? h('a.button.secondary', { href: `#/office/reports?${withPage(q, page - 1)}` }, `← ${t('desk.prev')}`) : null,
        h('span', t('desk.log_page_info', { page, pages: Math.ceil(log.total / log.per_page), total: log.total })),
        page * log.per_page < log.total ? h('a.button.secondary', { href: `#/office/reports?${withPage(q, page + 1)}` }, `${t('desk.next')} →`) : null) : null);
  } catch (err) {
    main.append(h('p.summary', { role: 'alert' }, problemText(err)));
  }
  return () => document.body.classList.remove('wide');
}

function withPage(q, n) {
  const next = new URLSearchParams(q);
  next.set('page', String(n));
  return next;
}

// The officials' desk (wide screen, docs/desk.md): the agency's dossiers in views (waiting,
// new today, due today, due soon, overdue, mine…) with their counts, a search by name, ID
// number, phone or part of a receipt code, filters, a sort and pages with totals; several
// complete submissions accepted at once, their receipts printed together. The list reloads
// itself when the agency's dossiers change (a cheap poll of the counts).
import * as api from '../api.js';
import { getCatalog, handledByAgency } from '../catalog.js';
import { add, h } from '../dom.js';
import { loc, t, fmtDate } from '../i18n.js';
import { dateForDisplay, dateFromTyped } from '../forms.js';
import { statusText } from './dossiers.js';
import { problemText, title, toast } from './shell.js';
import { deadlineTag, feeTag, holderText, rememberList } from './office_common.js';

const STATUSES = ['submitted', 'accepted', 'refused', 'in_progress', 'supplement_requested', 'awaiting_fee', 'withdrawn', 'stopped', 'result_ready', 'returned'];
const VIEWS = ['waiting', 'new_today', 'to_accept', 'due_today', 'due_soon', 'overdue', 'mine', 'approval', 'finished'];
const SORTS = ['-submitted', 'submitted', 'due', 'receipt', 'updated'];
const PER_PAGE = 50;
const POLL_MS = 20000;

function select(id, label, options, value) {
  return h('div.field', h('label', { for: id }, label),
    h('select', { id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function input(id, label, value, attrs = {}) {
  return h('div.field', h('label', { for: id }, label), h('input', { id, value: value || '', ...attrs }));
}

// The desk's pages: room for more (each adds one link here).
export function deskNav(current) {
  const links = [['#/office', 'office-list', t('office.list')], ['#/office/reports', 'office-reports', t('desk.reports')],
    ['#/office/payments', 'office-payments', t('office.payments')]];
  return h('nav.desk-nav', { 'aria-label': t('desk.pages') },
    links.map(([href, id, text]) => h('a', { href, id, 'aria-current': href === current ? 'page' : null }, text)));
}

export async function renderOffice(main, params) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return null; }
  document.body.classList.add('wide');
  const q = new URLSearchParams(params.query || '');
  const view = q.get('view') || 'waiting';
  rememberList(q);
  const procs = handledByAgency(await getCatalog().catch(() => []), user);
  const go = (next) => { location.hash = `#/office?${next}`; };

  const tabs = h('nav.views', { 'aria-label': t('desk.views') }, VIEWS.map((v) => {
    const next = new URLSearchParams(q);
    next.set('view', v);
    next.delete('page');
    return h('a.view-tab', { href: `#/office?${next}`, 'data-view': v, 'aria-current': v === view ? 'page' : null },
      t(`desk.view.${v}`), ' ', h('span.count', { 'data-count': v }, ''));
  }));

  const filters = h('form.filters', { role: 'search' },
    input('flt-q', t('desk.search'), q.get('q'), { type: 'search', placeholder: t('desk.search_hint'), size: 28 }),
    select('flt-status', t('office.status'), [['', t('office.any')], ...STATUSES.map((s) => [s, statusText(s)])], q.get('status') || ''),
    select('flt-procedure', t('office.procedure'), [['', t('office.any')], ...procs.map((p) => [p.code, loc(p.name)])], q.get('procedure') || ''),
    select('flt-fee', t('pay.title'), [['', t('office.any')], ['unpaid', t('pay.status.unpaid')], ['paid', t('pay.status.paid')]], q.get('fee_status') || ''),
    input('flt-from', t('desk.from'), dateForDisplay(q.get('submitted_from')), { placeholder: 'dd/mm/yyyy', size: 10, inputmode: 'numeric' }),
    input('flt-to', t('desk.to'), dateForDisplay(q.get('submitted_to')), { placeholder: 'dd/mm/yyyy', size: 10, inputmode: 'numeric' }),
    select('flt-sort', t('desk.sort'), [['', t('desk.sort.default')], ...SORTS.map((s) => [s, t(`desk.sort.${s}`)])], q.get('sort') || ''),
    h('button.primary', { type: 'submit' }, t('office.filter')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams({ view });
    for (const [key, id] of [['q', 'flt-q'], ['status', 'flt-status'], ['procedure', 'flt-procedure'], ['fee_status', 'flt-fee'], ['sort', 'flt-sort']]) {
      const v = filters.querySelector(`#${id}`).value.trim();
      if (v) next.set(key, v);
    }
    for (const [key, id] of [['submitted_from', 'flt-from'], ['submitted_to', 'flt-to']]) {
      const v = dateFromTyped(filters.querySelector(`#${id}`).value);
      if (/^\d{4}-\d{2}-\d{2}$/.test(v)) next.set(key, v);
    }
    go(next);
  });

  const tbody = h('tbody');
  const table = h('table.desk', h('caption', t(`desk.view.${view}`)),
    h('thead', h('tr', h('th', { scope: 'col' }, h('span.visually-hidden', t('desk.pick'))),
      [t('dossier.receipt'), t('office.procedure'), t('office.citizen'), t('dossier.status'), t('desk.holder'), t('office.submitted'), t('dossier.appointment')]
        .map((x) => h('th', { scope: 'col' }, x)))),
    tbody);
  const pager = h('nav.pager', { 'aria-label': t('desk.pages_of_list') });
  const bulk = h('div.bulk', { hidden: true },
    h('button.primary', { type: 'button', id: 'bulk-accept', onclick: () => bulkAccept() }, t('desk.bulk_accept')),
    h('button.secondary', { type: 'button', id: 'bulk-print', onclick: () => bulkPrint() }, t('desk.bulk_print')));
  const status = h('p.summary', { role: 'alert' });
  title(main, t('nav.office'), deskNav('#/office'), tabs, filters, bulk, status, table, pager);

  const picked = () => [...tbody.querySelectorAll('input[name=pick]:checked')];
  const onPick = () => {
    const rows = picked();
    bulk.hidden = !rows.length;
    bulk.querySelector('#bulk-accept').hidden = !rows.length || rows.some((i) => i.dataset.status !== 'submitted');
    bulk.querySelector('#bulk-print').hidden = !rows.length || rows.some((i) => !i.dataset.receipt);
  };
  async function bulkAccept() {
    try {
      const r = await api.post('/api/v1/office/dossiers/accept', { ids: picked().map((i) => i.value) });
      const ok = r.items.filter((i) => i.ok).length;
      const failed = r.items.filter((i) => !i.ok);
      toast(t('desk.bulk_accepted', { n: ok }));
      if (failed.length) status.textContent = failed.map((i) => problemText(i.problem)).join(' ');
      else window.dispatchEvent(new CustomEvent('hoso:rerender'));
    } catch (err) { status.textContent = problemText(err); }
  }
  function bulkPrint() {
    location.hash = `#/office/print/receipt?ids=${picked().map((i) => i.value).join(',')}`;
  }

  const query = new URLSearchParams(q);
  query.set('view', view);
  query.set('per_page', String(PER_PAGE));
  let latest = null;
  try {
    const [page, summary] = await Promise.all([api.get(`/api/v1/office/dossiers?${query}`), api.get('/api/v1/office/summary')]);
    latest = summary.latest;
    for (const [v, n] of Object.entries(summary.views)) {
      const el = tabs.querySelector(`[data-count=${v}]`);
      if (el) el.textContent = `(${n})`;
    }
    for (const d of page.items) {
      tbody.append(h('tr', { 'data-id': d.id, 'data-deadline': d.deadline.state || '' },
        h('td', h('label.pick', h('input', { type: 'checkbox', name: 'pick', value: d.id, 'data-status': d.status, 'data-receipt': d.receipt_code || '', onchange: onPick }),
          h('span.visually-hidden', t('desk.pick_one', { name: d.owner ? d.owner.full_name : '' })))),
        h('td', h('a', { href: `#/office/${d.id}` }, d.receipt_code || t('office.no_receipt'))),
        h('td', loc(d.procedure_name)), h('td', d.owner ? d.owner.full_name : ''),
        h('td', h('span.status', { 'data-status': d.status }, statusText(d.status)), deadlineTag(d), feeTag(d)),
        h('td', holderText(d)),
        h('td', fmtDate(d.submitted_at)), h('td', fmtDate(d.deadline.due_date || d.appointment_date))));
    }
    if (!page.items.length) tbody.append(h('tr', h('td', { colspan: 8 }, t('office.none'))));
    const pages = Math.max(1, Math.ceil(page.total / page.per_page));
    const at = (n) => { const next = new URLSearchParams(q); next.set('view', view); next.set('page', String(n)); return `#/office?${next}`; };
    add(pager,
      page.page > 1 ? h('a.button.secondary', { href: at(page.page - 1), rel: 'prev' }, `← ${t('desk.prev')}`) : null,
      h('span', { id: 'page-info' }, t('desk.page_info', { page: page.page, pages, total: page.total })),
      page.page < pages ? h('a.button.secondary', { href: at(page.page + 1), rel: 'next', id: 'next-page' }, `${t('desk.next')} →`) : null);
  } catch (err) {
    status.textContent = problemText(err);
  }

  // A new arrival or another official's step changes the agency's latest change: reload the
  // list then, unless the official is in the middle of choosing rows or typing.
  const timer = setInterval(async () => {
    if (document.hidden || picked().length || filters.contains(document.activeElement)) return;
    try {
      const summary = await api.get('/api/v1/office/summary');
      if (summary.latest !== latest) window.dispatchEvent(new CustomEvent('hoso:rerender'));
    } catch { /* offline for a moment: the next poll tries again */ }
  }, POLL_MS);
  return () => { clearInterval(timer); document.body.classList.remove('wide'); };
}

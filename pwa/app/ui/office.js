// The officials' desk (wide screen): the agency's dossiers with filters, and the transitions
// the API allows, including a supplement request naming fields and documents, and the result.
import * as api from '../api.js';
import { getCatalog, getForm, handledByAgency } from '../catalog.js';
import { tablesFor } from '../code_tables.js';
import { h, clear } from '../dom.js';
import { loc, t, fmtDate, fmtMoney } from '../i18n.js';
import { dateForDisplay, evaluate, fieldMap, renderForm, shownValue, todayDays } from '../forms.js';
import { statusText, timeline } from './dossiers.js';
import { problemText, title, toast } from './shell.js';
import { viewLink } from './viewer.js';

const STATUSES = ['submitted', 'accepted', 'refused', 'in_progress', 'supplement_requested', 'awaiting_fee', 'withdrawn', 'stopped', 'result_ready', 'returned'];
const NOTE_REQUIRED = new Set(['refuse', 'request_supplement', 'stop']);

function select(id, label, options, value) {
  return h('div.field', h('label', { for: id }, label),
    h('select', { id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

export async function renderOffice(main, params) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return; }
  document.body.classList.add('wide');
  const q = new URLSearchParams(params.query || '');
  const procs = handledByAgency(await getCatalog().catch(() => []), user);
  const filters = h('form.filters', { role: 'search' },
    select('flt-status', t('office.status'), [['', t('office.any')], ...STATUSES.map((s) => [s, statusText(s)])], q.get('status') || ''),
    select('flt-overdue', t('office.overdue'), [['', t('office.any')], ['true', t('common.yes')], ['false', t('common.no')]], q.get('overdue') || ''),
    select('flt-procedure', t('office.procedure'), [['', t('office.any')], ...procs.map((p) => [p.code, loc(p.name)])], q.get('procedure') || ''),
    select('flt-fee', t('pay.title'), [['', t('office.any')], ['unpaid', t('pay.status.unpaid')], ['paid', t('pay.status.paid')]], q.get('fee_status') || ''),
    h('div.field', h('label', { for: 'flt-receipt' }, t('dossier.receipt')), h('input', { id: 'flt-receipt', value: q.get('receipt_code') || '' })),
    h('button.primary', { type: 'submit' }, t('office.filter')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [key, id] of [['status', 'flt-status'], ['overdue', 'flt-overdue'], ['procedure', 'flt-procedure'], ['fee_status', 'flt-fee'], ['receipt_code', 'flt-receipt']]) {
      const v = filters.querySelector(`#${id}`).value.trim();
      if (v) next.set(key, v);
    }
    location.hash = `#/office?${next}`;
  });
  rememberList(q);
  const table = h('table.desk', h('caption', t('office.list')),
    h('thead', h('tr', [t('dossier.receipt'), t('office.procedure'), t('office.citizen'), t('dossier.status'), t('office.submitted'), t('dossier.appointment')].map((x) => h('th', { scope: 'col' }, x)))));
  const tbody = h('tbody');
  table.append(tbody);
  title(main, t('nav.office'), h('p', h('a', { href: '#/office/payments', id: 'office-payments' }, t('office.payments'))), filters, table);
  const query = new URLSearchParams(q);
  query.set('per_page', '100');
  try {
    const page = await api.get(`/api/v1/office/dossiers?${query}`);
    for (const d of page.items) {
      tbody.append(h('tr', { 'data-id': d.id },
        h('td', h('a', { href: `#/office/${d.id}` }, d.receipt_code || t('office.no_receipt'))),
        h('td', loc(d.procedure_name)), h('td', d.owner ? d.owner.full_name : ''),
        h('td', h('span.status', { 'data-status': d.status }, statusText(d.status)), d.overdue ? h('span.tag.warn', t('dossier.overdue')) : null,
          feeTag(d)),
        h('td', fmtDate(d.submitted_at)), h('td', fmtDate(d.appointment_date))));
    }
    if (!page.items.length) tbody.append(h('tr', h('td', { colspan: 6 }, t('office.none'))));
  } catch (err) {
    main.append(h('p.summary', { role: 'alert' }, problemText(err)));
  }
  return () => document.body.classList.remove('wide');
}

// The list's filters live in its address; the dossier screen's back link returns to them.
const LIST_KEY = 'hoso.office.list';
function rememberList(query) {
  try { sessionStorage.setItem(LIST_KEY, String(query)); } catch { /* private mode: plain list */ }
}
function listHref() {
  let query = '';
  try { query = sessionStorage.getItem(LIST_KEY) || ''; } catch { /* plain list */ }
  return query ? `#/office?${query}` : '#/office';
}

// Shown once on the next rendering of the dossier (after it was reloaded).
const FLASH_KEY = 'hoso.office.flash';
function flash(text) {
  try { sessionStorage.setItem(FLASH_KEY, text); } catch { toast(text); }
}
function takeFlash() {
  try {
    const text = sessionStorage.getItem(FLASH_KEY);
    sessionStorage.removeItem(FLASH_KEY);
    return text;
  } catch { return null; }
}

function actionForm(d, action, form, onDone) {
  const box = h('form.action', { novalidate: true, 'data-action': action });
  const fields = [];
  if (action === 'request_supplement') {
    // The form's own sections, and only the fields this dossier shows (a hidden field has
    // nothing to fix): "Ngày, tháng, năm sinh" of the child and of each parent are told apart.
    fields.push(h('fieldset', h('legend', t('office.fields_to_fix')),
      (form.sections || []).map((s) => {
        const shown = (s.fields || []).filter((f) => !f.visible_if || evaluate(f.visible_if, d.fields || {}, todayDays()));
        return shown.length ? h('fieldset.section', h('legend', loc(s.title)),
          shown.map((f) => h('label.choice', h('input', { type: 'checkbox', name: 'fields', value: f.name }), ` ${loc(f.label)}`))) : null;
      })));
    if ((form.documents || []).length) {
      fields.push(h('fieldset', h('legend', t('office.documents_to_add')),
        form.documents.map((x) => h('label.choice', h('input', { type: 'checkbox', name: 'documents', value: x.code }), ` ${loc(x.label)}`))));
    }
  }
  if (action === 'return_result' || action === 'complete') {
    // At `complete` the number goes on the signed result document the agency issues.
    fields.push(h('div.field', h('label', { for: 'res-number' }, t('office.result_number')), h('input', { id: 'res-number', required: action === 'return_result' })),
      select('res-method', t('office.result_method'), ['electronic', 'desk', 'post'].map((m) => [m, t(`method.${m}`)]), 'electronic'));
  }
  if (action === 'complete') {
    // Optional: the scan of the paper result signed by hand becomes the signed result.
    fields.push(h('div.field', h('label', { for: 'res-scan' }, t('office.result_scan')),
      h('input', { id: 'res-scan', type: 'file', accept: 'image/jpeg,image/png' }),
      h('p.hint', t('office.result_scan_hint'))));
  }
  fields.push(h('div.field', h('label', { for: `note-${action}` }, t('office.note'), NOTE_REQUIRED.has(action) ? ' *' : ''),
    h('textarea', { id: `note-${action}`, rows: 2, 'aria-required': NOTE_REQUIRED.has(action) ? 'true' : null })));
  const err = h('p.summary', { role: 'alert' });
  box.append(...fields, err, h('button.primary', { type: 'submit' }, t(`action.${action}`)));
  box.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { action, expected_version: d.version };
    const note = box.querySelector(`#note-${action}`).value.trim();
    if (note) body.note = note;
    if (action === 'request_supplement') {
      body.fields = [...box.querySelectorAll('input[name=fields]:checked')].map((i) => i.value);
      body.documents = [...box.querySelectorAll('input[name=documents]:checked')].map((i) => i.value);
    }
    const number = action === 'return_result' || action === 'complete' ? box.querySelector('#res-number').value.trim() : '';
    // An empty number is left out: the server then says the number is required.
    if (action === 'return_result' || number) body.result = { ...(number ? { number } : {}), method: box.querySelector('#res-method').value };
    const scanFile = action === 'complete' ? box.querySelector('#res-scan').files[0] : null;
    if (scanFile) {
      body.result = { number: number || d.receipt_code, method: box.querySelector('#res-method').value, ...(body.result || {}) };
      body.result.scan = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(scanFile);
      });
    }
    try {
      await api.post(`/api/v1/office/dossiers/${d.id}/transitions`, body);
      toast(t('office.done', { action: t(`action.${action}`) }));
      onDone();
    } catch (e2) {
      if (e2.status === 409) {
        // Someone else acted first: show the dossier as it is now, and say why.
        flash(t('office.reloaded', { reason: problemText(e2) }));
        onDone();
        return;
      }
      err.textContent = problemText(e2);
    }
  });
  return box;
}

export async function renderOfficeDossier(main, { id }) {
  document.body.classList.add('wide');
  let d;
  try {
    d = await api.get(`/api/v1/office/dossiers/${id}`);
  } catch (err) {
    title(main, t('nav.office'), h('p.summary', { role: 'alert' }, problemText(err)));
    return () => document.body.classList.remove('wide');
  }
  const notice = takeFlash();
  const form = (await getForm(d.procedure_code, d.form_version)).form;
  const values = h('div.readonly');
  const tables = await tablesFor(form);
  renderForm(values, form, d.fields, { readonly: true, tables });
  const actions = h('div.actions');
  const panel = h('div.action-panel');
  const rerender = () => window.dispatchEvent(new CustomEvent('hoso:rerender'));
  for (const a of d.allowed_actions || []) {
    actions.append(h('button.secondary', { type: 'button', 'data-action': a, onclick: () => {
      clear(panel).append(actionForm(d, a, form, rerender));
      const first = panel.querySelector('input,textarea,select');
      if (first) first.focus();
    } }, t(`action.${a}`)));
  }
  const docs = Object.entries(d.documents || {});
  const docLabel = new Map((form.documents || []).map((x) => [x.code, loc(x.label)]));
  title(main, `${loc(d.procedure_name)} ${d.receipt_code ? `· ${d.receipt_code}` : ''}`,
    h('p', h('a', { href: listHref(), id: 'back-to-list' }, `← ${t('office.list')}`)),
    notice ? h('p.notice.warn', { role: 'alert', id: 'desk-flash' }, notice) : null,
    h('dl.facts',
      h('dt', t('dossier.status')), h('dd', h('span.status', { 'data-status': d.status }, statusText(d.status)), d.overdue ? h('span.tag.warn', t('dossier.overdue')) : null),
      h('dt', t('office.citizen')), h('dd', d.owner ? `${d.owner.full_name} · ${d.owner.phone || d.owner.email || ''}` : ''),
      h('dt', t('office.submitted')), h('dd', fmtDate(d.submitted_at)),
      d.appointment_date ? [h('dt', t('dossier.appointment')), h('dd', fmtDate(d.appointment_date))] : null,
      d.submission_signature ? [h('dt', t('office.signature')), h('dd', { id: 'device-signature', 'data-signed': String(d.submission_signature.signed) },
        d.submission_signature.signed
          ? t('office.signed_on_phone', { device: [(d.submission_signature.device || {}).label, `${t('office.device_key')} ${String((d.submission_signature.device || {}).id || '').slice(0, 8)}`].filter(Boolean).join(' · ') })
          : t('office.unsigned'))] : null,
      d.fee_amount ? [h('dt', t('pay.title')), h('dd', { id: 'desk-fee' }, fmtMoney(d.fee_amount), ' ', feeTag(d),
        d.fee_quote && d.fee_quote.label ? h('p.muted', loc(d.fee_quote.label)) : null)] : null),
    d.fee_status === 'unpaid' ? deskPayment(d, rerender) : null,
    h('h2', t('office.actions')), actions, panel,
    h('h2', t('office.values')), values,
    whatChanged(d, form, docLabel, tables),
    h('h2', t('procedure.documents')), docs.length ? h('ul.docs-list', docs.map(([code, x]) => docItem(code, x, docLabel))) : h('p', t('procedure.no_documents')),
    h('h2', t('dossier.timeline')), timeline(d.history));
  return () => document.body.classList.remove('wide');
}

// One document of the dossier: its name in the form's words, where it stands, and a way to see it.
function docItem(code, x, docLabel) {
  const name = docLabel.get(code) || x.name || code;
  const link = x.upload_id ? viewLink('upload', x.upload_id, name) : x.record_id ? viewLink('record', x.record_id, name) : null;
  return h('li.doc', { 'data-doc': code },
    h('h3', name),
    h('p.meta', [x.name, t(`docs.${x.status === 'ready' ? 'ready' : 'uploading'}`)].filter(Boolean).join(' · ')),
    link ? h('div.doc-actions', link) : null);
}

function shown(value) {
  if (value === null || value === undefined || value === '') return t('conflict.empty');
  if (typeof value === 'object') return Object.values(value).filter(Boolean).join(', ');
  return String(dateForDisplay(value));
}

// After the citizen answered a supplement request: each field asked for, before and after,
// and the documents sent again.
function whatChanged(d, form, docLabel, tables) {
  const last = [...(d.history || [])].reverse().find((e) => e.action === 'supplement');
  if (!last || !last.data) return null;
  const labels = new Map();
  for (const s of form.sections || []) for (const f of s.fields || []) labels.set(f.name, loc(f.label));
  const before = last.data.before || {};
  const fields = fieldMap(form);
  const rows = (last.data.fields || []).map((k) => h('li.changed', { 'data-field': k },
    h('strong', labels.get(k) || k), ': ', h('del', shown(shownValue(fields.get(k), before[k], tables))), ' → ',
    h('ins', shown(shownValue(fields.get(k), (d.fields || {})[k], tables)))));
  const docs = ((last.data.request || {}).documents || []).map((c) => h('li.changed', { 'data-doc': c },
    h('strong', docLabel.get(c) || c), ': ', t('office.doc_resent')));
  return h('section.notice', { 'aria-labelledby': 'changed-h' },
    h('h2', { id: 'changed-h' }, t('office.changed_title', { date: fmtDate(last.at) })),
    h('ul', rows, docs));
}

function feeTag(d) {
  if (!d.fee_status || d.fee_status === 'none') return null;
  return h('span.status.fee', { 'data-status': d.fee_status }, ` ${t(`pay.status.${d.fee_status}`)}`);
}

// Cash or a transfer taken at the desk, recorded with its method (and the official).
function deskPayment(d, onDone) {
  const box = h('form.action.desk-pay', { novalidate: true },
    select('pay-method', t('office.pay_method'), [['cash', t('pay.method.cash')], ['transfer', t('pay.method.transfer')]], 'cash'));
  const err = h('p.summary', { role: 'alert' });
  box.append(err, h('button.primary', { type: 'submit' }, t('office.pay_record')));
  box.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.post(`/api/v1/office/dossiers/${d.id}/payments`, { method: box.querySelector('#pay-method').value });
      toast(t('pay.status.paid'));
      onDone();
    } catch (e2) {
      err.textContent = problemText(e2);
    }
  });
  return box;
}

// One dossier at the desk (docs/desk.md): a compact summary of the citizen's answers by
// section (what the answers hide left out, labels not codes) with the documents beside it
// in the viewer, the full form on demand; who holds it, its deadline, fee and result; the
// next step for the official's role and the steps the API allows; slips to print; the
// history with each official named.
import * as api from '../api.js';
import { getForm } from '../catalog.js';
import { h, clear } from '../dom.js';
import { loc, t, fmtDate, fmtMoney } from '../i18n.js';
import { dateForDisplay, dateFromTyped, evaluate, renderForm, shownValue, todayDays } from '../forms.js';
import { tablesFor } from '../code_tables.js';
import { statusText } from './dossiers.js';
import { problemText, title, toast } from './shell.js';
import { documentBox, fetchDocument, viewLink } from './viewer.js';
import { deadlineTag, feeTag, flash, holderText, listHref, nextStep, takeFlash } from './office_common.js';

const NOTE_REQUIRED = new Set(['refuse', 'request_supplement', 'stop', 'send_back', 'apologise']);

function select(id, label, options, value) {
  return h('div.field', h('label', { for: id }, label),
    h('select', { id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

// A value as the citizen meant it: an option's label or a code table item's name (not the
// code), a date as dd/mm/yyyy, yes/no; a group's entries with their labels.
let tables = {};
function shown(field, value) {
  if (value === null || value === undefined || value === '') return t('conflict.empty');
  if (typeof value === 'boolean') return t(value ? 'common.yes' : 'common.no');
  if (field && field.type === 'group' && Array.isArray(value)) return value.map((item) => shownEntry(field, item)).join('; ');
  const named = field ? shownValue(field, value, tables) : value;
  if (Array.isArray(named)) return named.join('; ');
  if (named && typeof named === 'object') return Object.values(named).filter(Boolean).join(', ');
  return String(dateForDisplay(named));
}

function shownEntry(field, item) {
  if (!item || typeof item !== 'object') return String(item);
  const subs = new Map((field.fields || []).map((f) => [f.name, f]));
  return Object.entries(item).filter(([, v]) => v !== '' && v != null)
    .map(([k, v]) => `${subs.has(k) ? loc(subs.get(k).label) : k}: ${shown(subs.get(k), v)}`).join(', ');
}

// The answers grouped by the form's sections; only fields the answers show and that hold a value.
function answers(form, values) {
  return h('section.answers', { 'aria-labelledby': 'answers-h' },
    h('h2', { id: 'answers-h' }, t('office.values')),
    (form.sections || []).map((s) => {
      const rows = (s.fields || []).filter((f) => f.name in values && values[f.name] !== '' && values[f.name] != null);
      return rows.length ? h('div.answer-group', h('h3', loc(s.title)),
        h('dl.facts.compact', rows.flatMap((f) => [h('dt', loc(f.label)), h('dd', { 'data-field': f.name }, shown(f, values[f.name]))]))) : null;
    }));
}

function actionForm(d, action, form, officials, onDone) {
  const box = h('form.action', { novalidate: true, 'data-action': action });
  const fields = [];
  const people = (roles, exclude) => officials.filter((o) => roles.includes(o.role) && o.id !== exclude)
    .map((o) => [String(o.id), `${o.name} (${t(`role.${o.role}`)})`]);
  if (action === 'request_supplement') {
    // The form's own sections, and only the fields this dossier shows (a hidden field has
    // nothing to fix); one request names everything at once.
    fields.push(h('p.hint', t('desk.supplement_once')));
    fields.push(h('fieldset', h('legend', t('office.fields_to_fix')),
      (form.sections || []).map((s) => {
        const visible = (s.fields || []).filter((f) => !f.visible_if || evaluate(f.visible_if, d.fields || {}, todayDays()));
        return visible.length ? h('fieldset.section', h('legend', loc(s.title)),
          visible.map((f) => h('label.choice', h('input', { type: 'checkbox', name: 'fields', value: f.name }), ` ${loc(f.label)}`))) : null;
      })));
    if ((form.documents || []).length) {
      fields.push(h('fieldset', h('legend', t('office.documents_to_add')),
        form.documents.map((x) => h('label.choice', h('input', { type: 'checkbox', name: 'documents', value: x.code }), ` ${loc(x.label)}`))));
    }
  }
  if (action === 'accept') {
    fields.push(select('assignee', t('desk.assign_to_optional'), [['', t('desk.nobody_yet')], ...people(['specialist', 'leader'])], ''));
  }
  if (action === 'assign') {
    fields.push(select('assignee', t('desk.assign_to'), [['', '—'], ...people(['reception', 'specialist', 'leader'], d.assignee && d.assignee.id)], ''));
  }
  if (['return_result', 'complete', 'propose'].includes(action)) {
    // At `complete` the number goes on the signed result document the agency issues; at
    // `propose` it is the draft the leader approves.
    const draft = d.draft_result || {};
    fields.push(h('div.field', h('label', { for: 'res-number' }, t(action === 'propose' ? 'desk.draft_number' : 'office.result_number')),
      h('input', { id: 'res-number', required: action !== 'complete', value: action === 'return_result' ? (d.result || {}).number || '' : draft.number || '' })),
    select('res-method', t('office.result_method'), ['electronic', 'desk', 'post'].map((m) => [m, t(`method.${m}`)]), draft.method || 'electronic'));
  }
  if (action === 'propose') {
    fields.push(select('assignee', t('desk.to_leader'), [['', t('desk.any_leader')], ...people(['leader'])], ''));
  }
  if (action === 'complete') {
    // Optional: the scan of the paper result signed by hand becomes the signed result.
    fields.push(h('div.field', h('label', { for: 'res-scan' }, t('office.result_scan')),
      h('input', { id: 'res-scan', type: 'file', accept: 'image/jpeg,image/png' }),
      h('p.hint', t('office.result_scan_hint'))));
  }
  if (action === 'apologise') {
    fields.push(h('div.field', h('label', { for: 'new-date' }, t('desk.new_date'), ' *'),
      h('input', { id: 'new-date', placeholder: 'dd/mm/yyyy', inputmode: 'numeric', size: 10 })));
  }
  fields.push(h('div.field', h('label', { for: `note-${action}` }, t(action === 'apologise' ? 'desk.apology_reason' : 'office.note'), NOTE_REQUIRED.has(action) ? ' *' : ''),
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
    const who = box.querySelector('#assignee');
    if (who && who.value) body.assignee_id = Number(who.value);
    if (action === 'apologise') body.new_date = dateFromTyped(box.querySelector('#new-date').value);
    const numberBox = box.querySelector('#res-number');
    const number = numberBox ? numberBox.value.trim() : '';
    // An empty number is left out: the server then says the number is required.
    if (numberBox && (action !== 'complete' || number)) body.result = { ...(number ? { number } : {}), method: box.querySelector('#res-method').value };
    const scanFile = action === 'complete' ? box.querySelector('#res-scan').files[0] : null;
    if (scanFile) {
      body.result = { number: number || (d.draft_result || {}).number || d.receipt_code, method: box.querySelector('#res-method').value, ...(body.result || {}) };
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
        // Someone else acted first, or the step is no longer possible: show the dossier as
        // it is now, and say why.
        flash(t('office.reloaded', { reason: problemText(e2) }));
        onDone();
        return;
      }
      err.textContent = problemText(e2);
    }
  });
  return box;
}

// The slips this dossier has (Circular 01/2018/TT-VPCP): print layouts and PDFs.
function slips(d) {
  const kinds = [];
  if (d.receipt_code) kinds.push('receipt');
  if (d.status === 'refused') kinds.push('refusal');
  if ((d.history || []).some((e) => e.action === 'request_supplement')) kinds.push('supplement');
  if ((d.history || []).some((e) => e.action === 'apologise')) kinds.push('apology');
  if (!kinds.length) return null;
  return h('p.slips', { id: 'slips' }, t('desk.slips'), ' ',
    kinds.map((k) => h('a.button.secondary', { href: `#/office/print/${k}?ids=${d.id}`, 'data-slip': k }, t(`slip.${k}`))));
}

export async function renderOfficeDossier(main, { id }) {
  document.body.classList.add('wide');
  const user = api.currentUser();
  let d;
  let officials = [];
  try {
    [d, officials] = await Promise.all([api.get(`/api/v1/office/dossiers/${id}`),
      api.get('/api/v1/office/officials').then((r) => r.items).catch(() => [])]);
  } catch (err) {
    title(main, t('nav.office'), h('p.summary', { role: 'alert' }, problemText(err)));
    return () => document.body.classList.remove('wide');
  }
  const notice = takeFlash();
  const form = (await getForm(d.procedure_code, d.form_version)).form;
  tables = await tablesFor(form);
  const actions = h('div.actions');
  const panel = h('div.action-panel');
  const rerender = () => window.dispatchEvent(new CustomEvent('hoso:rerender'));
  for (const a of d.allowed_actions || []) {
    actions.append(h('button.secondary', { type: 'button', 'data-action': a, onclick: () => {
      clear(panel).append(actionForm(d, a, form, officials, rerender));
      const first = panel.querySelector('input,textarea,select');
      if (first) first.focus();
    } }, t(`action.${a}`)));
  }
  const docLabel = new Map((form.documents || []).map((x) => [x.code, loc(x.label)]));
  const urls = [];
  const full = h('details.full-form', h('summary', t('desk.full_form')));
  full.addEventListener('toggle', () => {
    if (full.open && !full.querySelector('.readonly')) {
      const values = h('div.readonly');
      renderForm(values, form, d.fields, { readonly: true, tables });
      full.append(values);
    }
  }, { once: false });
  const result = d.result || {};
  const returned = d.history.find((e) => e.action === 'return_result');
  title(main, `${loc(d.procedure_name)} ${d.receipt_code ? `· ${d.receipt_code}` : ''}`,
    h('p', h('a', { href: listHref(), id: 'back-to-list' }, `← ${t('office.list')}`)),
    notice ? h('p.notice.warn', { role: 'alert', id: 'desk-flash' }, notice) : null,
    h('dl.facts',
      h('dt', t('dossier.status')), h('dd', h('span.status', { 'data-status': d.status }, statusText(d.status)), ' ', deadlineTag(d)),
      h('dt', t('desk.holder')), h('dd', { id: 'holder' }, holderText(d)),
      h('dt', t('office.citizen')), h('dd', d.owner ? `${d.owner.full_name} · ${d.owner.phone || d.owner.email || ''}` : ''),
      h('dt', t('office.submitted')), h('dd', fmtDate(d.submitted_at)),
      d.deadline.accept_by ? [h('dt', t('desk.accept_by')), h('dd', fmtDate(d.deadline.accept_by))] : null,
      d.appointment_date ? [h('dt', t('dossier.appointment')), h('dd', { id: 'appointment' }, fmtDate(d.appointment_date))] : null,
      d.new_appointment_date ? [h('dt', t('desk.new_date')), h('dd', { id: 'new-appointment' }, fmtDate(d.new_appointment_date))] : null,
      d.submission_signature ? [h('dt', t('office.signature')), h('dd', { id: 'device-signature', 'data-signed': String(d.submission_signature.signed) },
        d.submission_signature.signed
          ? t('office.signed_on_phone', { device: [(d.submission_signature.device || {}).label, `${t('office.device_key')} ${String((d.submission_signature.device || {}).id || '').slice(0, 8)}`].filter(Boolean).join(' · ') })
          : t('office.unsigned'))] : null,
      d.fee_quote || d.fee_amount ? [h('dt', t('pay.title')), h('dd', { id: 'desk-fee' }, d.fee_amount == null ? t('desk.fee_unknown') : fmtMoney(d.fee_amount), ' ', feeTag(d),
        d.fee_quote && d.fee_quote.label ? h('p.muted', loc(d.fee_quote.label)) : null)] : null,
      d.draft_result && d.awaiting_approval ? [h('dt', t('desk.draft')), h('dd', { id: 'draft-result' },
        `${d.draft_result.number} · ${t(`method.${d.draft_result.method || 'electronic'}`)} · ${d.draft_result.by_name || ''}`)] : null,
      result.number ? [h('dt', t('office.result_number')), h('dd', { id: 'result-number' }, result.number, ' · ', t(`method.${result.method || 'electronic'}`))] : null,
      returned ? [h('dt', t('desk.returned_on')), h('dd', { id: 'returned-on' }, fmtDate(returned.at))] : null),
    d.fee_status === 'unpaid' ? deskPayment(d, rerender) : null,
    h('p.next-step', { id: 'next-step' }, h('strong', `${t('desk.next_step')}: `), nextStep(d, user)),
    linkedDossiers(d),
    h('h2', t('office.actions')), actions, panel, slips(d),
    whatChanged(d, form, docLabel),
    h('div.desk-grid',
      h('div', answers(form, d.fields || {}), full),
      documents(d, docLabel, urls)),
    h('h2', t('dossier.timeline')), deskTimeline(d.history));
  return () => { urls.forEach((u) => URL.revokeObjectURL(u)); document.body.classList.remove('wide'); };
}

// The documents beside the answers: each with its name in the form's words, an image shown
// inline at once, a PDF opened in the browser's viewer, and the full-screen viewer's link.
function documents(d, docLabel, urls) {
  const docs = Object.entries(d.documents || {});
  const box = h('aside.docs-side', { 'aria-labelledby': 'docs-h' }, h('h2', { id: 'docs-h' }, t('procedure.documents')));
  if (!docs.length) { box.append(h('p', t('procedure.no_documents'))); return box; }
  const list = h('ul.docs-list');
  for (const [code, x] of docs) {
    const name = docLabel.get(code) || x.name || code;
    const kind = x.upload_id ? 'upload' : x.record_id ? 'record' : null;
    const docId = x.upload_id || x.record_id;
    const preview = h('div.preview');
    list.append(h('li.doc', { 'data-doc': code },
      h('h3', name),
      h('p.meta', [x.name, t(`docs.${x.status === 'ready' ? 'ready' : 'uploading'}`)].filter(Boolean).join(' · ')),
      kind ? h('div.doc-actions', viewLink(kind, docId, name)) : null, preview));
    if (kind) {
      fetchDocument(kind, docId).then((doc) => {
        if (doc.error) { preview.append(h('p.muted', doc.error)); return; }
        urls.push(doc.url);
        preview.append(documentBox(doc, name));
      });
    }
  }
  box.append(list);
  return box;
}

// A bundle's member (liên thông): the dossiers filed with it, each at its own agency, read
// only: where it stands and, once issued, its result's number (the health-insurance desk
// needs the birth certificate's). None of their answers or files.
function linkedDossiers(d) {
  if (!(d.linked || []).length) return null;
  return h('section.linked', { id: 'linked', 'aria-labelledby': 'linked-h' },
    h('h2', { id: 'linked-h' }, t('dossier.linked')),
    h('p.help', t('desk.linked_help')),
    h('ul.cards', d.linked.map((m) => h('li.card', { 'data-procedure': m.procedure_code },
      h('strong', loc(m.procedure_name) || m.procedure_code),
      m.agency_name ? h('p.meta', loc(m.agency_name)) : null,
      h('p', h('span.status', { 'data-status': m.status }, statusText(m.status))),
      m.receipt_code ? h('p.meta', `${t('dossier.receipt')}: `, h('strong.receipt', m.receipt_code)) : null,
      m.result ? h('p.meta', `${t('office.result_number')}: `, h('strong.result', m.result.number),
        m.result.issued_on ? ` · ${fmtDate(m.result.issued_on)}` : '') : null))));
}

// Every step with when, who (named) and what; a hand-off says to whom.
function deskTimeline(history) {
  return h('ol.timeline', (history || []).map((e) => h('li', { 'data-action': e.action },
    h('time', { datetime: e.at }, fmtDate(e.at)), ' ',
    h('strong', t(`timeline.${e.action}`)),
    e.actor_name ? h('span.actor', ` · ${e.actor_name}`) : null,
    e.data && e.data.to ? h('span', ` → ${e.data.to.name}`) : null,
    e.data && e.data.to_agency_name ? h('span.agency', ` · ${loc(e.data.from_agency_name)} → ${loc(e.data.to_agency_name)}`) : null,
    e.data && e.data.new_date ? h('span', ` · ${t('desk.new_date')}: ${fmtDate(e.data.new_date)}`) : null,
    e.note ? h('p.note', e.note) : null)));
}

// After the citizen answered a supplement request: each field asked for, before and after,
// and the documents sent again.
function whatChanged(d, form, docLabel) {
  const last = [...(d.history || [])].reverse().find((e) => e.action === 'supplement');
  if (!last || !last.data) return null;
  const labels = new Map();
  for (const s of form.sections || []) for (const f of s.fields || []) labels.set(f.name, f);
  const before = last.data.before || {};
  const rows = (last.data.fields || []).map((k) => h('li.changed', { 'data-field': k },
    h('strong', labels.has(k) ? loc(labels.get(k).label) : k), ': ', h('del', shown(labels.get(k), before[k])), ' → ', h('ins', shown(labels.get(k), (d.fields || {})[k]))));
  const docs = ((last.data.request || {}).documents || []).map((c) => h('li.changed', { 'data-doc': c },
    h('strong', docLabel.get(c) || c), ': ', t('office.doc_resent')));
  return h('section.notice', { 'aria-labelledby': 'changed-h', id: 'what-changed' },
    h('h2', { id: 'changed-h' }, t('office.changed_title', { date: fmtDate(last.at) })),
    h('ul', rows, docs));
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

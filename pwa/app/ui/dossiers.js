// My dossiers (drafts on the phone and the server's copies) and one dossier's page:
// receipt code, appointment date, the status timeline, and the citizen's next steps.
import * as api from '../api.js';
import { getForm } from '../catalog.js';
import { tablesFor } from '../code_tables.js';
import { h } from '../dom.js';
import { currentLang, loc, t, fmtDate, fmtMoney } from '../i18n.js';
import { renderForm } from '../forms.js';
import { store } from '../db.js';
import { enqueue, pending } from '../outbox.js';
import { prefillAnswer, problemsFor } from './editor.js';
import { docStates, documentsSection, forgetDone, settled } from './documents.js';
import { queuedText, title, toast } from './shell.js';
import { issuedSection } from './results.js';
import { feeBox } from './payment.js';
import { rateBox, wantsRating } from './rating.js';

export function statusText(status) { return t(`status.${status}`); }

async function localState(id) {
  const queued = (await pending()).filter((m) => m.args && m.args.dossier_id === id);
  return { queued, submitting: queued.some((m) => m.name === 'dossier.submit') };
}

export async function renderDossiers(main) {
  const s = store();
  const [drafts, copies, queue] = await Promise.all([s.all('drafts'), s.all('dossiers'), pending()]);
  const byId = new Map(copies.map((d) => [d.id, { ...d }]));
  for (const d of drafts) {
    if (!byId.has(d.id)) byId.set(d.id, { id: d.id, procedure_name: d.procedure_name, procedure_code: d.procedure_code, status: 'draft', updated_at: d.updated_at });
    byId.get(d.id).local = d;
  }
  // A bundle's linked dossiers are listed on the bundle's page, not here.
  for (const [key, d] of byId) if (d.bundle_id) byId.delete(key);
  const rows = [...byId.values()].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  const list = h('ul.cards');
  for (const d of rows) {
    const queued = queue.filter((m) => m.args && m.args.dossier_id === d.id);
    const submitting = queued.some((m) => m.name === 'dossier.submit');
    const label = submitting ? t('status.queued_submit') : statusText(d.status);
    const href = d.status === 'draft' && !submitting ? `#/d/${d.id}/edit` : `#/d/${d.id}`;
    list.append(h('li.card', { 'data-id': d.id },
      h('a', { href }, h('strong', loc(d.procedure_name) || d.procedure_code)),
      h('p', h('span.status', { 'data-status': submitting ? 'queued' : d.status }, label),
        queued.length && !submitting ? h('span.muted', ` · ${t('dossier.unsent')}`) : null),
      d.receipt_code ? h('p.meta', `${t('dossier.receipt')}: `, h('strong.receipt', d.receipt_code)) : null,
      d.fee_status === 'unpaid' && !['withdrawn', 'refused', 'stopped'].includes(d.status)
        ? h('p.meta', h('span.status.fee', { 'data-status': 'unpaid' }, t('pay.status.unpaid'))) : null,
      d.appointment_date ? h('p.meta', `${t('dossier.appointment')}: ${fmtDate(d.appointment_date)}`) : null));
  }
  if (!rows.length) list.append(h('li.empty', t('dossiers.none'), ' ', h('a', { href: '#/' }, t('nav.catalog'))));
  title(main, t('nav.dossiers'), list);
  return rerenderOnData();
}

// Redraw the screen when sync brought news (new dossiers, statuses, notifications).
function rerenderOnData(filter = () => true) {
  const onData = (e) => { if (filter(e.detail)) window.dispatchEvent(new CustomEvent('hoso:rerender')); };
  window.addEventListener('hoso:data', onData);
  return () => window.removeEventListener('hoso:data', onData);
}

// What happened, in one phrase per step ("Nộp hồ sơ", "Cơ quan đã tiếp nhận"), not the
// action and the state it led to side by side.
export function timeline(history) {
  return h('ol.timeline', (history || []).map((e) => h('li', { 'data-action': e.action },
    h('time', { datetime: e.at }, fmtDate(e.at)), ' ',
    h('strong', t(`timeline.${e.action}`)),
    e.data && e.data.to_agency_name ? h('span.agency', ` → ${loc(e.data.to_agency_name)}`) : null,
    e.note ? h('p.note', e.note) : null)));
}

export async function renderDossier(main, { id }) {
  const s = store();
  let d = await s.get('dossiers', id);
  const draft = await s.get('drafts', id);
  const { queued, submitting } = await localState(id);
  if (!d && draft && !submitting) { location.hash = `#/d/${id}/edit`; return null; }
  if (d && d.status === 'draft' && !submitting) { location.hash = `#/d/${id}/edit`; return null; }
  if (d && navigator.onLine) {
    // Online, the server's copy (with its history): a person who tapped a notification sees
    // the status it announced, not the one of the last sync.
    try { d = await api.get(`/api/v1/dossiers/${id}`); await s.put('dossiers', d); } catch { /* offline: show what we have */ }
  }
  const name = d ? loc(d.procedure_name) : draft ? loc(draft.procedure_name) : id;
  const status = submitting ? t('status.queued_submit') : d ? statusText(d.status) : t('status.draft');
  const facts = h('dl.facts',
    h('dt', t('dossier.status')), h('dd', h('span.status', { id: 'status', 'data-status': submitting ? 'queued' : d && d.status }, status)),
    d && d.receipt_code ? [h('dt', t('dossier.receipt')), h('dd', h('strong.receipt', { id: 'receipt' }, d.receipt_code))] : null,
    d && d.appointment_date ? [h('dt', t('dossier.appointment')), h('dd', { id: 'appointment' }, fmtDate(d.appointment_date), d.overdue ? ` (${t('dossier.overdue')})` : '')] : null,
    d && d.fee_amount != null ? [h('dt', t('procedure.fee')), h('dd', fmtMoney(d.fee_amount))] : null,
    d && d.result ? [h('dt', t('dossier.result')), h('dd', `${d.result.number} · ${t(`method.${d.result.method}`)} · ${fmtDate(d.result.issued_on)}`)] : null);
  const parts = [await problemsFor(id), facts, feeBox(d)];
  if (d && (d.members || []).length) parts.push(await linkedSection(d));
  // The signed receipt of filing and result, kept on the phone once fetched.
  if (d && d.receipt_code) parts.push(await issuedSection(id).catch(() => null));
  parts.push(slipsSection(d));
  if (queued.length) parts.push(h('p.notice', { role: 'status' }, t('dossier.waiting_sync')));
  const supplementing = d && d.status === 'supplement_requested' && d.supplement_request;
  if (supplementing) parts.push(await supplementBox(d));
  // The documents and where each stands (uploads still going from this phone show progress).
  const src = d || draft;
  const docsBox = h('div.docs-box');
  const form = src ? (await getForm(src.procedure_code, src.form_version).catch(() => null)) : null;
  if (form && (form.form.documents || []).length && !supplementing) {
    parts.push(docsBox);
    documentsSection(docsBox, { dossierId: id, form: form.form, values: (d || draft).fields || {}, editable: false });
  }
  // Thumbnails of sent files stay while the dossier is open; a finished one keeps none.
  if (d && ['refused', 'withdrawn', 'stopped', 'result_ready', 'returned'].includes(d.status)) forgetDone(id);
  if (wantsRating(d, queued)) parts.push(rateBox(d));
  if (d && d.rating) parts.push(h('p', t('dossier.rated', { n: d.rating })));
  parts.push(h('h2', t('dossier.timeline')), d ? timeline(d.history) : h('p.muted', t('dossier.not_synced')));
  if (d && (d.allowed_actions || []).includes('withdraw') && !queued.some((m) => m.name === 'dossier.withdraw')) {
    parts.push(h('button.secondary', { type: 'button', onclick: async () => {
      const note = prompt(t('dossier.withdraw_reason'));
      if (note === null) return;
      await enqueue('dossier.withdraw', { dossier_id: id, note });
      toast(queuedText());
      window.dispatchEvent(new CustomEvent('hoso:rerender'));
    } }, t('action.withdraw')));
  }
  title(main, name, ...parts);
  const watched = [id, ...((d && d.members) || []).map((m) => m.id)];
  const onData = (e) => { if ((e.detail.dossiers || []).some((x) => watched.includes(x)) || e.detail.results) window.dispatchEvent(new CustomEvent('hoso:rerender')); };
  window.addEventListener('hoso:data', onData);
  // A sync that brought this dossier while the page was being drawn told no one (the listener
  // was not there yet): a bundle's linked dossiers, say, would never show, and a submission
  // sent meanwhile would stay "waiting" (the server's copy read above is already the new
  // version, while the queue was read before it went). Look once more at both.
  const now = await s.get('dossiers', id);
  const still = await localState(id);
  const ids = (list) => list.map((m) => m.id).join();
  if ((now && (!d || now.version !== d.version)) || ids(still.queued) !== ids(queued)) {
    window.dispatchEvent(new CustomEvent('hoso:rerender'));
  }
  return () => window.removeEventListener('hoso:data', onData);
}

// A bundle (liên thông): its linked dossiers, each handled by its own agency, with where it
// stands and its result; each opens its own page (receipt, result documents). The phone's
// copies are newer than the bundle's list when a sync brought a member's change.
async function linkedSection(d) {
  const s = store();
  const items = await Promise.all(d.members.map(async (m) => ({ ...m, ...((await s.get('dossiers', m.id)) || {}), agency_name: m.agency_name })));
  return h('section.linked', { 'aria-labelledby': 'linked-h' },
    h('h2', { id: 'linked-h' }, t('dossier.linked')),
    h('p.help', t('dossier.linked_help')),
    h('ul.cards', items.map((m) => h('li.card', { 'data-id': m.id, 'data-procedure': m.procedure_code },
      h('a', { href: `#/d/${m.id}` }, h('strong', loc(m.procedure_name) || m.procedure_code)),
      m.agency_name ? h('p.meta', loc(m.agency_name)) : null,
      h('p', h('span.status', { 'data-status': m.status }, statusText(m.status))),
      m.receipt_code ? h('p.meta', `${t('dossier.receipt')}: `, h('strong.receipt', m.receipt_code)) : null,
      m.result ? h('p.meta', `${t('dossier.result')}: `, h('a.result', { href: `#/d/${m.id}` }, m.result.number)) : null))));
}

// The slips the office made for this dossier (Circular 01/2018/TT-VPCP: receipt with the
// appointment date, supplement request, refusal, apology with a new date), as PDFs; online.
const SLIPS = { accept: 'receipt', request_supplement: 'supplement', refuse: 'refusal', apologise: 'apology' };
function slipsSection(d) {
  const kinds = [...new Set((d && d.history || []).map((e) => SLIPS[e.action]).filter(Boolean))];
  if (!kinds.length) return null;
  const open = async (kind) => {
    try {
      const r = await api.send('GET', `/api/v1/dossiers/${d.id}/slips/${kind}/pdf`, { Accept: 'application/pdf' });
      if (!r.ok) throw new Error(String(r.status));
      window.open(URL.createObjectURL(await r.blob()), '_blank', 'noopener');
    } catch (err) {
      toast(err.offline ? t('viewer.offline') : t('error.title'), 'error');
    }
  };
  return h('section.slips-citizen', { 'aria-labelledby': 'slips-h' },
    h('h2', { id: 'slips-h' }, t('dossier.slips')),
    h('p', kinds.map((k) => h('button.secondary', { type: 'button', 'data-slip': k, onclick: () => open(k) }, t(`slip.${k}`)))));
}

// The signed papers the agency issued for this dossier (receipt of filing, the result), each
// one opened in the viewer. Needs the network; offline the list is the last one seen.
const answers = new Map(); // dossier id → the supplement's fields as typed, until sent

async function supplementBox(d) {
  const req = d.supplement_request;
  const form = (await getForm(d.procedure_code, d.form_version)).form;
  const box = h('section.notice.warn', { 'aria-labelledby': 'supp-h' }, h('h2', { id: 'supp-h' }, t('supplement.title')));
  if (req.note) box.append(h('p', req.note));
  const body = h('form', { novalidate: true });
  const fields = req.fields || [];
  // What the person typed survives a redraw of the screen (a sync or an upload finishing).
  const typed = answers.get(d.id) || {};
  const ctl = renderForm(body, form, { ...d.fields, ...typed }, { only: fields, tables: await tablesFor(form),
    onChange: (v) => answers.set(d.id, Object.fromEntries(fields.map((f) => [f, v[f]]))) });
  if ((req.documents || []).length) {
    const labels = new Map((form.documents || []).map((x) => [x.code, loc(x.label)]));
    box.append(h('p', t('supplement.documents'), ' ', req.documents.map((c) => labels.get(c) || c).join(', ')));
  }
  const asked = req.documents || [];
  const docsBox = h('div.docs-box');
  if (asked.length) {
    const answer = await prefillAnswer(d.procedure_code, d.form_version);
    documentsSection(docsBox, { dossierId: d.id, procedure: { code: d.procedure_code }, form, values: d.fields || {},
      version: d.form_version, offers: (answer && answer.documents) || {}, only: asked });
  }
  const err = h('p.summary', { role: 'alert', tabindex: '-1' });
  box.append(body, docsBox, err, h('button.primary', { type: 'button', onclick: async () => {
    const errors = ctl.check();
    await settled(); // a photo still being compressed goes first
    const states = await docStates(d.id);
    const labels = new Map((form.documents || []).map((x) => [x.code, loc(x.label)]));
    const missing = asked.filter((c) => ['missing', 'failed', undefined].includes((states[c] || {}).kind));
    const n = Object.keys(errors).length + missing.length;
    if (n) {
      err.textContent = [t('editor.fix_n', { n }), ...missing.map((c) => `${labels.get(c) || c}: ${t('editor.doc_missing')}.`)].join(' ');
      if (Object.keys(errors).length) ctl.focusFirstError(); else err.focus();
      return;
    }
    const values = Object.fromEntries(fields.map((f) => [f, ctl.values()[f] ?? null]));
    // Held in the outbox while a requested document is still uploading from this phone.
    await enqueue('dossier.supplement', { dossier_id: d.id, fields: values });
    answers.delete(d.id);
    toast(queuedText());
    window.dispatchEvent(new CustomEvent('hoso:rerender'));
  } }, t('supplement.send')));
  return box;
}

// A notification's title and body in the reader's language (the server sends both).
function noteText(n) {
  const texts = (n.texts && (n.texts[currentLang()] || n.texts.vi)) || {};
  return { title: texts.title || n.title, body: texts.body || n.body };
}

export async function renderInbox(main) {
  const items = (await store().all('notifications')).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const list = h('ul.cards');
  for (const n of items) {
    const text = noteText(n);
    list.append(h('li.card', { 'data-id': n.id, class: n.read_at ? 'read' : 'unread' },
      h('a.card-link', { href: (n.data && n.data.url) || '#/inbox', onclick: () => markRead(n) },
        h('strong', text.title)), n.read_at ? null : h('span.tag', t('inbox.unread')),
      h('p', text.body), h('p.meta', fmtDate(n.created_at))));
  }
  if (!items.length) list.append(h('li.empty', t('inbox.none')));
  const unread = items.filter((n) => !n.read_at);
  const markAll = unread.length ? h('button.secondary', { type: 'button', onclick: async () => {
    for (const n of unread) await markRead(n);
    toast(t('inbox.all_read'));
    window.dispatchEvent(new CustomEvent('hoso:rerender'));
  } }, t('inbox.mark_all')) : null;
  title(main, t('nav.inbox'), markAll, list);
  return rerenderOnData((d) => d.pulled);
}

async function markRead(n) {
  if (n.read_at) return;
  await store().put('notifications', { ...n, read_at: new Date().toISOString() });
  await enqueue('notification.read', { notification_id: n.id });
  window.dispatchEvent(new CustomEvent('hoso:counts'));
}

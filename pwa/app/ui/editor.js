// A draft: the form rendered from its schema, saved on the phone as the person types and
// queued for the server; submitting queues `dossier.submit` (it goes when there is a network).
import { get } from '../api.js';
import { getForm, getProcedure } from '../catalog.js';
import { tablesFor } from '../code_tables.js';
import { h } from '../dom.js';
import { loc, t } from '../i18n.js';
import { dueText, feeLine, feeWord } from '../fees.js';
import { filled, quoteFee, renderForm, requiredDocuments, validate } from '../forms.js';
import { store } from '../db.js';
import { enqueue, getDraft, pending, saveDraft } from '../outbox.js';
import { setDirty } from '../sync.js';
import { problemText, queuedText, title, toast } from './shell.js';
import { blockers, docStates, documentsSection } from './documents.js';
import { signSubmission } from '../devicekey.js';
import { watchEditor } from '../telemetry.js';

const SAVE_MS = 500;
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const answers = new Map(); // prefill answers fetched in this session: key -> {at, data}

// What the data warehouse already holds for this form ("once-only"): fetched when online
// (each fetch is in the citizen's access log), else the copy kept from the last time.
export async function prefillAnswer(code, version) {
  const key = `prefill:${code}:${version}`;
  const mem = answers.get(key);
  if ((!mem || Date.now() - mem.at > 60000) && navigator.onLine !== false) {
    try {
      const data = await get(`/api/v1/warehouse/prefill?procedure=${encodeURIComponent(code)}&version=${version}`);
      answers.set(key, { at: Date.now(), data });
      await store().put('kv', data, key);
    } catch { /* offline or signed out: the saved copy */ }
  }
  return (answers.get(key) || {}).data || (await store().get('kv', key)) || null;
}

// The local draft, or one made from the server's copy (a draft started on another phone).
export async function loadDraft(id) {
  const draft = await getDraft(id);
  if (draft) return draft;
  const server = await store().get('dossiers', id);
  if (!server || server.status !== 'draft') return null;
  const made = { id, procedure_code: server.procedure_code, form_version: server.form_version,
    procedure_name: server.procedure_name, fields: server.fields || {}, sent: server.fields || {}, base_version: server.version };
  await store().put('drafts', made);
  return made;
}

export async function renderEditor(main, { id }) {
  const draft = await loadDraft(id);
  if (!draft) { location.hash = `#/d/${id}`; return null; }
  const [proc, fv] = await Promise.all([getProcedure(draft.procedure_code), getForm(draft.procedure_code, draft.form_version)]);
  const form = fv.form;
  const tables = await tablesFor(form);
  let timer = null;
  // Left (or submitted): a change that reaches this form now (a late prefill answer, an event
  // of a control taken off the screen) must not queue a save behind the submission, with this
  // screen's older base.
  let gone = false;
  let values = draft.fields || {};
  const saved = h('p.saved', { role: 'status' }, draft.updated_at ? t('editor.saved_on_phone') : '');
  const fee = h('p.fee');
  const summary = h('div.summary', { role: 'alert', tabindex: '-1' });
  const docsBox = h('div.docs-box');

  // The person's edits: counted, and while one is being written to the phone's store the
  // stored copy is older than the form, so nothing may redraw the form from it.
  let edits = 0;
  let saving = null;
  const flush = async () => {
    if (!timer) { await saving; return; }
    clearTimeout(timer);
    timer = null;
    const bad = validate(form, values, undefined, { complete: false, tables });
    saving = saveDraft({ ...draft, fields: values }, new Set(Object.keys(bad).map((k) => k.split('.')[0])));
    try { await saving; } finally { saving = null; }
    setDirty(0);
    saved.textContent = t('editor.saved_on_phone');
  };
  const showFee = () => {
    // The quote (fees.py / rules.js quoteFee) in words, and when it is due.
    const due = quoteFee(proc.fees || {}, values).due;
    fee.replaceChildren(`${feeWord(proc.fees)}: ${feeLine(proc.fees, values)}`,
      due !== 'never' ? h('span.muted.fee-due', ` ${dueText(proc.fees, due)}`) : '');
  };
  let offers = {};
  const drawDocs = () => documentsSection(docsBox, { dossierId: id, procedure: proc, form, values, version: draft.form_version, offers });
  const body = h('form.dossier', { novalidate: true });
  // The documents follow the answers: redrawn when the set of those asked for changes.
  const askedNow = () => requiredDocuments(form, values).map((d) => d.code).join(' ');
  let asked = askedNow();
  const followDocs = () => {
    const now = askedNow();
    if (now !== asked) drawDocs();
    asked = now;
  };
  const edited = () => {
    if (gone) return;
    edits += 1;
    setDirty(1);
    saved.textContent = t('editor.saving');
    clearTimeout(timer);
    timer = setTimeout(flush, SAVE_MS);
    showFee();
    followDocs();
  };
  // A prefilled value keeps its source under the field for as long as it is unchanged.
  const notes = () => ctl.setNotes(Object.fromEntries(Object.entries(draft.prefill || {})
    .filter(([name, p]) => same(values[name], p.value))
    .map(([name, p]) => [name, [t('prefill.from', { source: '' }),
      p.source.kind === 'record' ? h('a', { href: '#/warehouse' }, loc(p.source.label)) : loc(p.source.label)]])));
  const ctl = renderForm(body, form, values, {
    tables,
    onChange: (v, key) => {
      values = v;
      edited();
      if (draft.prefill && key in draft.prefill) notes();
    },
  });
  const watch = watchEditor(body, draft, form); // names and times only (telemetry.js)
  showFee();
  // Once the person types, a late prefill answer must not redraw the form under their fingers.
  let touched = false;
  body.addEventListener('input', () => { touched = true; }, true);
  body.addEventListener('change', () => { touched = true; }, true);
  // Fills the empty fields the warehouse knows (never over what the person typed; a value
  // they cleared stays cleared), and learns which documents can be reused.
  const prefill = async () => {
    const answer = await prefillAnswer(draft.procedure_code, draft.form_version);
    if (!answer || gone) return;
    offers = answer.documents || {};
    const known = { ...(draft.prefill || {}) };
    const next = { ...values };
    let changed = false;
    for (const [name, p] of Object.entries(answer.fields || {})) {
      const before = known[name];
      known[name] = p;
      if (before && same(before.value, p.value)) continue;
      if (!filled(next[name])) { next[name] = p.value; changed = true; }
    }
    draft.prefill = known;
    if (changed && !touched) {
      values = next;
      ctl.replace(values);
      edited();
    } else {
      await store().put('drafts', { ...((await getDraft(id)) || draft), prefill: known });
    }
    notes();
    drawDocs();
  };

  const submit = h('button.primary', { type: 'button', onclick: async () => {
    const errors = ctl.check();
    const { missing, remote, waiting } = await blockers(id, form, values);
    const n = Object.keys(errors).length + missing.length + remote.length;
    if (n) {
      summary.textContent = [t('editor.fix_n', { n }), ...missing.map((d) => `${loc(d.label)}: ${t('editor.doc_missing')}.`),
        ...remote.map((d) => `${loc(d.label)}: ${t('editor.doc_uploading')}.`)].join(' ');
      ctl.focusFirstError();
      if (!Object.keys(errors).length) summary.focus();
      watch.failed(errors, missing.map((d) => d.code));
      return;
    }
    summary.textContent = '';
    await flush();
    // Signed on this phone (where it has WebCrypto) over what the citizen submits.
    const draftNow = await getDraft(id);
    const states = await docStates(id);
    const hashes = Object.fromEntries(Object.entries(states)
      .filter(([, st]) => st.local && st.local.source === 'upload' && st.local.sha256)
      .map(([code, st]) => [code, st.local.sha256]));
    const deviceSignature = await signSubmission(id, (draftNow && draftNow.fields) || values, hashes).catch(() => null);
    // Queued behind the uploads still going from this phone: sync.js holds it until they end.
    await enqueue('dossier.submit', deviceSignature ? { dossier_id: id, device_signature: deviceSignature } : { dossier_id: id });
    gone = true;
    await store().put('drafts', { ...(await getDraft(id)), submitted_locally: true });
    watch.submitted();
    toast(waiting.length ? t('editor.queued_after_uploads') : queuedText());
    location.hash = `#/d/${id}`;
  } }, t('editor.submit'));
  const del = h('button.link.danger', { type: 'button', onclick: async () => {
    if (!confirm(t('editor.delete_confirm'))) return;
    clearTimeout(timer);
    timer = null;
    setDirty(0);
    await enqueue('dossier.delete_draft', { dossier_id: id });
    await store().del('drafts', id);
    location.hash = '#/dossiers';
  } }, t('editor.delete'));

  const problems = await problemsFor(id);
  title(main, loc(proc.name), h('p.muted', t('editor.draft_hint')), problems, summary, body, docsBox, fee, saved,
    h('div.actions', submit, del));
  drawDocs();
  if (draft.submitted_locally && (await pending()).some((m) => m.name === 'dossier.submit' && m.args.dossier_id === id)) {
    location.hash = `#/d/${id}`;
    return null;
  }
  notes();
  prefill();

  // Another phone's edits arrived: show them, unless the person is typing right now.
  const norm = (o) => JSON.stringify(Object.entries(o || {}).filter(([, v]) => v !== null && v !== '' && v !== undefined).sort());
  const onData = async (e) => {
    if (!(e.detail.dossiers || []).includes(id) || timer || saving) return;
    const before = edits;
    const fresh = await getDraft(id);
    // Typed (or being saved) while the store was read: that copy is already behind the form.
    if (timer || saving || edits !== before) return;
    if (!fresh || fresh.form_version !== draft.form_version) { window.dispatchEvent(new CustomEvent('hoso:rerender')); return; }
    if (norm(fresh.fields) !== norm(values)) {
      values = fresh.fields;
      ctl.replace(values);
      notes();
      showFee();
    }
    drawDocs();
  };
  window.addEventListener('hoso:data', onData);
  return async () => {
    window.removeEventListener('hoso:data', onData);
    watch.leave();
    gone = true; // what was typed is still saved below; nothing that arrives after is
    await flush();
  };
}

// Results the server gave for this dossier that the person must see (rejected, conflict).
export async function problemsFor(id) {
  const results = (await store().all('results')).filter((r) => r.dossier_id === id && !r.seen);
  if (!results.length) return null;
  const box = h('div.notice.warn', { role: 'alert' });
  for (const r of results) {
    if (r.status === 'conflict' && r.reason === 'form_outdated') box.append(h('p', t('result.form_outdated', { fields: (r.missing || []).join(', ') })));
    else if (r.status === 'conflict') box.append(h('p', t('result.conflict'), ' ', h('a', { href: '#/conflicts' }, t('nav.conflicts'))));
    else if (r.error && r.error.kept) box.append(h('p', t('result.kept', { name: t(`mutation.${r.name}`) })));
    else box.append(h('p', t('result.rejected', { name: t(`mutation.${r.name}`) }), ' ', problemText(r.error)));
  }
  box.append(h('button.link', { type: 'button', onclick: async () => {
    for (const r of results) await store().put('results', { ...r, seen: true });
    box.remove();
  } }, t('common.dismiss')));
  return box;
}

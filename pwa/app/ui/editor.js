// A draft: the form rendered from its schema, saved on the phone as the person types and
// queued for the server; submitting queues `dossier.submit` (it goes when there is a network).
import { getForm, getProcedure } from '../catalog.js';
import { h } from '../dom.js';
import { loc, t, fmtMoney } from '../i18n.js';
import { computeFee, renderForm, requiredDocuments, validate } from '../forms.js';
import { store } from '../db.js';
import { enqueue, getDraft, saveDraft } from '../outbox.js';
import { setDirty } from '../sync.js';
import { problemText, title, toast } from './shell.js';
import { documentsSection } from './documents.js';

const SAVE_MS = 500;

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
  let timer = null;
  let values = draft.fields || {};
  const saved = h('p.saved', { role: 'status' }, draft.updated_at ? t('editor.saved_on_phone') : '');
  const fee = h('p.fee');
  const summary = h('div.summary', { role: 'alert', tabindex: '-1' });
  const docsBox = h('div.docs-box');

  const flush = async () => {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    const bad = validate(form, values, undefined, { complete: false });
    await saveDraft({ ...draft, fields: values }, new Set(Object.keys(bad).map((k) => k.split('.')[0])));
    setDirty(0);
    saved.textContent = t('editor.saved_on_phone');
  };
  const showFee = () => {
    const amount = computeFee(proc.fees || {}, values);
    fee.textContent = `${t('procedure.fee')}: ${fmtMoney(amount, (proc.fees || {}).currency)}`;
  };
  const drawDocs = () => documentsSection(docsBox, { dossierId: id, procedure: proc, form, values, version: draft.form_version });
  const body = h('form.dossier', { novalidate: true });
  const ctl = renderForm(body, form, values, {
    onChange: (v) => {
      values = v;
      setDirty(1);
      saved.textContent = t('editor.saving');
      clearTimeout(timer);
      timer = setTimeout(flush, SAVE_MS);
      showFee();
    },
  });
  showFee();

  const submit = h('button.primary', { type: 'button', onclick: async () => {
    const errors = ctl.check();
    const server = await store().get('dossiers', id);
    const docs = (server && server.documents) || {};
    const missingDocs = requiredDocuments(form, values).filter((d) => !docs[d.code] || docs[d.code].status !== 'ready');
    const n = Object.keys(errors).length + missingDocs.length;
    if (n) {
      summary.textContent = `${t('editor.fix_n', { n })} ${missingDocs.map((d) => `${loc(d.label)}: ${t('editor.doc_missing')}`).join(' ')}`;
      ctl.focusFirstError();
      if (!Object.keys(errors).length) summary.focus();
      return;
    }
    summary.textContent = '';
    await flush();
    await enqueue('dossier.submit', { dossier_id: id });
    await store().put('drafts', { ...(await getDraft(id)), submitted_locally: true });
    toast(t('editor.queued'));
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
  if (draft.submitted_locally) { location.hash = `#/d/${id}`; return null; }

  // Another phone's edits arrived: show them, unless the person is typing right now.
  const norm = (o) => JSON.stringify(Object.entries(o || {}).filter(([, v]) => v !== null && v !== '' && v !== undefined).sort());
  const onData = async (e) => {
    if (!(e.detail.dossiers || []).includes(id) || timer) return;
    const fresh = await getDraft(id);
    if (!fresh || fresh.form_version !== draft.form_version) { window.dispatchEvent(new CustomEvent('hoso:rerender')); return; }
    if (timer) return;
    if (norm(fresh.fields) !== norm(values)) {
      values = fresh.fields;
      ctl.replace(values);
      showFee();
    }
    drawDocs();
  };
  window.addEventListener('hoso:data', onData);
  return async () => {
    window.removeEventListener('hoso:data', onData);
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
    else box.append(h('p', t('result.rejected', { name: t(`mutation.${r.name}`) }), ' ', problemText(r.error)));
  }
  box.append(h('button.link', { type: 'button', onclick: async () => {
    for (const r of results) await store().put('results', { ...r, seen: true });
    box.remove();
  } }, t('common.dismiss')));
  return box;
}

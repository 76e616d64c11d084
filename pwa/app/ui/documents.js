// A dossier's documents: for each item, take a photo or choose a file (compressed and sent by
// uploads.js, loaded on first use), reuse one the data warehouse already holds with one tap,
// or remove it; where each stands is said in words, with the upload's progress.
import { h, clear, uuid } from '../dom.js';
import { loc, t } from '../i18n.js';
import { requiredDocuments } from '../forms.js';
import { req, store } from '../db.js';
import { enqueue } from '../outbox.js';
import { toast } from './shell.js';
import { viewLink } from './viewer.js';

const uploader = () => import('../uploads.js');
const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
const ext = (name) => ((name || '').includes('.') ? name.split('.').pop().toUpperCase().slice(0, 4) : 'FILE');
const preparing = new Set(); // photos being compressed: submitting waits for them (settled())
export const settled = () => Promise.allSettled([...preparing]);
const refusals = new Map(); // `${dossier} ${code}` -> why the phone refused the last file picked
const active = new Map(); // local upload id -> {offset, size} while the uploader works on it
const thumbs = new Map(); // local upload id -> object URL of its thumbnail

// Where each document of a dossier stands, from the phone's choices (uploads store) and the
// server's copy: missing | queued | uploading | uploaded | ready | reused | failed.
export async function docStates(dossierId) {
  const s = store();
  const [server, locals] = await Promise.all([s.get('dossiers', dossierId), s.all('uploads')]);
  const have = (server && server.documents) || {};
  const mine = new Map(locals.filter((u) => u.dossier_id === dossierId).map((u) => [u.document_code, u]));
  const states = {};
  for (const code of new Set([...Object.keys(have), ...mine.keys()])) {
    const local = mine.get(code);
    const item = have[code];
    let kind;
    if (local && local.source === 'none') kind = 'missing';
    else if (local && local.source === 'record') kind = 'reused';
    else if (local && local.source === 'upload') {
      if (local.state === 'failed') kind = 'failed';
      else if (local.state === 'waiting') kind = active.has(local.id) ? 'uploading' : 'queued';
      else kind = item && item.upload_id === local.upload_id && item.status === 'ready' ? 'ready' : 'uploaded';
    } else if (item) {
      kind = item.status !== 'ready' ? 'remote' : item.source === 'upload' ? 'ready' : 'reused';
    }
    states[code] = { kind, local, item };
  }
  return states;
}

// Submitting: what blocks it (nothing to send, a refused file, an upload from another phone)
// and what only delays it (files still going up from this phone: the submission waits).
export async function blockers(dossierId, form, values) {
  await settled();
  const states = await docStates(dossierId);
  const needed = requiredDocuments(form, values);
  const st = (d) => (states[d.code] || {}).kind || 'missing';
  return {
    missing: needed.filter((d) => ['missing', 'failed'].includes(st(d))),
    remote: needed.filter((d) => st(d) === 'remote'),
    waiting: needed.filter((d) => ['queued', 'uploading', 'uploaded'].includes(st(d))),
  };
}

function stateText(kind, { local, item } = {}) {
  switch (kind) {
    case 'queued': return t('docs.queued');
    case 'uploading': {
      const p = active.get(local.id);
      return t('docs.uploading_pct', { pct: Math.floor((100 * p.offset) / Math.max(1, p.size)) });
    }
    case 'uploaded': return t('docs.uploaded');
    case 'ready': return t('docs.ready');
    case 'reused': return t('docs.reused', { label: (local && loc(local.label)) || (item && item.name) || '' });
    case 'remote': return t('docs.uploading');
    case 'failed': return `${t('docs.failed')} ${local.error || ''}`;
    default: return t('docs.missing');
  }
}

function preview(local, item) {
  if (local && local.source === 'upload') {
    let url = thumbs.get(local.id);
    if (!url && local.thumb) { url = URL.createObjectURL(local.thumb); thumbs.set(local.id, url); }
    const what = url ? h('img.thumb', { src: url, alt: '', width: 64, height: 64 }) : h('span.thumb.file', { 'aria-hidden': 'true' }, ext(local.name));
    return h('div.doc-file', what, h('span', h('span.doc-name', local.name), h('br'),
      h('span.muted', size(local.size), local.original_size > local.size ? ` (${t('docs.compressed', { size: size(local.original_size) })})` : '')));
  }
  if (item && item.name && item.source === 'upload') {
    return h('div.doc-file', h('span.thumb.file', { 'aria-hidden': 'true' }, ext(item.name)), h('span', h('span.doc-name', item.name), item.size ? [h('br'), h('span.muted', size(item.size))] : null));
  }
  return null;
}

// Draws the documents of `form` into `box`. `offers`: the prefill answer's `documents` (records
// that can stand for an item); `only`: the codes that may change (a supplement request);
// `editable`: false on a submitted dossier (states and progress only).
export async function documentsSection(box, opts) {
  const { dossierId, procedure, form, values, version, offers = {}, only = null, editable = true } = opts;
  box.docsOpts = opts;
  const seq = (box.drawSeq = (box.drawSeq || 0) + 1);
  const docs = (form.documents || []).filter((d) => !only || only.includes(d.code));
  const states = await docStates(dossierId);
  if (seq !== box.drawSeq) return; // a newer drawing won
  clear(box);
  if (!docs.length) return;
  const needed = new Set(requiredDocuments(form, values || {}).map((d) => d.code));
  const redraw = () => documentsSection(box, box.docsOpts);
  const list = h('ul.docs-list');
  for (const d of docs) {
    const { kind = 'missing', local, item } = states[d.code] || {};
    // A document asked only in some cases (abandoned child, paternity…) shows once its case
    // applies, or once something is attached to it.
    if (d.required_if && !needed.has(d.code) && kind === 'missing' && !local && !item && !only) continue;
    const id = `doc-${d.code}`;
    const li = h('li.doc', { 'data-doc': d.code, 'data-state': kind, 'data-local': local && local.id, 'aria-labelledby': `${id}-h` },
      h('h3', { id: `${id}-h` }, loc(d.label), ' ', h('span.tag', needed.has(d.code) ? t('docs.required') : t('docs.optional'))),
      d.help ? h('p.help', loc(d.help)) : null,
      kind === 'reused' ? null : preview(local, item),
      h('p.doc-state', { id: `${id}-state`, role: 'status' }, stateText(kind, { local, item })));
    // A document on the server can be opened (by its owner; the server checks).
    if (item && (kind === 'ready' || kind === 'reused') && (item.upload_id || item.record_id)) {
      li.append(h('div.doc-actions', viewLink(item.upload_id ? 'upload' : 'record', item.upload_id || item.record_id, loc(d.label))));
    }
    if (kind === 'queued' || kind === 'uploading') {
      const p = active.get(local.id) || { offset: local.offset, size: local.size };
      li.append(h('progress', { max: String(p.size), value: String(p.offset), 'aria-label': t('docs.progress', { name: local.name }) }));
    }
    const err = h('p.error', { id: `${id}-err`, role: 'alert' }, refusals.get(`${dossierId} ${d.code}`) || '');
    li.append(err);
    const can = editable && (!only || only.includes(d.code));
    if (can) li.append(actions(d, { kind, local, item, err, redraw, dossierId, procedure, version, offers: offers[d.code] || [] }));
    list.append(li);
  }
  box.append(h('h2', t('procedure.documents')), list);
}

function actions(d, ctx) {
  const { kind, local, item, err, redraw, dossierId, procedure, version, offers } = ctx;
  const id = `doc-${d.code}`;
  const pick = async (input) => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    err.textContent = '';
    refusals.delete(`${dossierId} ${d.code}`);
    const state = document.getElementById(`${id}-state`);
    if (state && file.type.startsWith('image/')) state.textContent = t('docs.preparing');
    const job = uploader().then((mod) => mod.addFile({ dossierId, procedureCode: procedure.code, formVersion: version, doc: d }, file));
    preparing.add(job);
    try {
      await job;
      await redraw();
    } catch (e) {
      refusals.set(`${dossierId} ${d.code}`, e.message); // kept across redraws until the next pick
      await redraw();
    } finally {
      preparing.delete(job);
    }
  };
  const fileInput = (suffix, attrs, label) => {
    const input = h('input.file-input', { type: 'file', id: `${id}-${suffix}`, 'aria-describedby': `${id}-state ${id}-err`, ...attrs });
    input.addEventListener('change', () => pick(input));
    return h('label.button.secondary.file-btn', { for: `${id}-${suffix}` }, label, input);
  };
  const accept = (d.accept || []).join(',');
  const images = !d.accept || d.accept.some((x) => x.startsWith('image/'));
  const box = h('div.doc-actions',
    images ? fileInput('photo', { accept: 'image/*', capture: 'environment' }, t('docs.take_photo')) : null,
    fileInput('file', { accept: accept || null }, t('docs.pick_file')));
  const using = local && local.source === 'record' ? local.record_id : item && item.record_id;
  for (const offer of offers) {
    if (using === offer.record_id && kind === 'reused') continue;
    box.append(h('p.offer', t('docs.reuse_what', { label: loc(offer.label) })),
      h('button.primary', { type: 'button', 'data-record': offer.record_id, onclick: async () => {
        await enqueue('dossier.attach', { dossier_id: dossierId, document_code: d.code, record_id: offer.record_id });
        await putLocal(dossierId, d.code, { source: 'record', state: 'done', record_id: offer.record_id, label: offer.label });
        await redraw();
      } }, t('docs.reuse')));
  }
  if (kind === 'failed') {
    box.append(h('button.secondary', { type: 'button', onclick: async () => { (await uploader()).retry(local.id); await redraw(); } }, t('docs.retry')));
  }
  if (kind !== 'missing') {
    box.append(h('button.link.danger', { type: 'button', onclick: async () => {
      // The server knows of the item (or will, once a queued attach goes): detach it after.
      const known = item || (local && (local.upload_id || local.source === 'record'));
      if (known) await enqueue('dossier.detach', { dossier_id: dossierId, document_code: d.code });
      await putLocal(dossierId, d.code, known ? { source: 'none', state: 'done' } : null);
      toast(t('docs.removed'));
      await redraw();
    } }, t('docs.remove')));
  }
  return box;
}

// The phone's choice for one document (replacing any earlier one); null forgets it.
async function putLocal(dossierId, code, rec) {
  await store().tx(['uploads'], 'readwrite', async ({ uploads }) => {
    for (const old of await req(uploads.getAll())) {
      if (old.dossier_id === dossierId && old.document_code === code) uploads.delete(old.id);
    }
    if (rec) uploads.put({ id: uuid(), dossier_id: dossierId, document_code: code, created_at: new Date().toISOString(), ...rec });
  });
  window.dispatchEvent(new CustomEvent('hoso:uploads', { detail: { dossier_id: dossierId } }));
}

// The uploader's news: progress moves the bar in place (focus stays put); other changes redraw.
window.addEventListener('hoso:uploads', (e) => {
  const x = e.detail || {};
  if (x.id && x.active) active.set(x.id, { offset: x.offset, size: x.size });
  else if (x.id) active.delete(x.id);
  for (const box of document.querySelectorAll('.docs-box')) {
    const o = box.docsOpts;
    if (!o || (x.dossier_id && x.dossier_id !== o.dossierId)) continue;
    const li = x.active && box.querySelector(`li[data-local="${x.id}"][data-state="uploading"]`);
    const bar = li && li.querySelector('progress');
    if (bar && x.offset !== undefined) {
      bar.value = x.offset;
      li.querySelector('.doc-state').textContent = t('docs.uploading_pct', { pct: Math.floor((100 * x.offset) / Math.max(1, x.size)) });
    } else {
      documentsSection(box, o);
    }
  }
});

// A finished dossier keeps no local copies (thumbnails) of its documents.
export async function forgetDone(dossierId) {
  await store().tx(['uploads'], 'readwrite', async ({ uploads }) => {
    for (const u of await req(uploads.getAll())) {
      if (u.dossier_id === dossierId && u.state !== 'waiting') uploads.delete(u.id);
    }
  });
}

// Documents from the phone: photos are downscaled and compressed here (about 1600 px on the
// long side, JPEG quality 0.8), PDFs go as they are. The file waits in IndexedDB (the blob
// itself) until every byte is on the server, sent by a small tus 1.0.0 client: POST creates
// the upload (metadata incl. the file's sha256, so a file already sent finishes at once),
// PATCH sends 256 KiB chunks (a lost chunk on 2G costs little), HEAD learns the server's
// offset after a failure, and retries back off. Loaded on first use (docs/pwa.md).
import { send } from './api.js';
import { req, store } from './db.js';
import { uuid } from './dom.js';
import { message } from './i18n.js';
import { enqueueBeforeHeld } from './outbox.js';

export const CHUNK = 256 * 1024;
const LONG_SIDE = 1600;
const QUALITY = 0.8;
const THUMB = 160;
const TUS = { 'Tus-Resumable': '1.0.0' };
const SHORT = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'application/pdf': 'PDF', 'image/heic': 'HEIC',
  'image/heif': 'HEIF', 'image/webp': 'WebP' };
const BY_EXT = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf', heic: 'image/heic',
  heif: 'image/heic', webp: 'image/webp' };

const emit = (detail) => window.dispatchEvent(new CustomEvent('hoso:uploads', { detail }));

// The server's own texts (app/services/i18n.py, served as /i18n/messages.json).
const mb = (n) => (n / 1048576).toFixed(1).replace(/\.0$/, '');
export const typeList = (accept) => accept.map((x) => SHORT[x] || x).join(', ');
export class LocalError extends Error {}
export function checkFile(doc, type, size) {
  const accept = doc.accept || [];
  const ok = !accept.length || accept.includes(type) || (type === 'image/heic' && accept.includes('image/heif'));
  if (!ok) throw new LocalError(message('file_type', { accept: typeList(accept) }));
  if (doc.max_bytes && size > doc.max_bytes) {
    throw new LocalError(message('file_too_large', { max_mb: mb(doc.max_bytes), size_mb: mb(size) }));
  }
}

function typeOf(file) {
  const ext = (file.name || '').split('.').pop().toLowerCase();
  return (file.type || BY_EXT[ext] || '').toLowerCase().replace('image/jpg', 'image/jpeg');
}

function toBlob(canvas, type, quality) {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode'))), type, quality));
}

function draw(bitmap, longSide) {
  const scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // a transparent PNG becomes a white page, not a black one
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

// What will be sent: a photo as a JPEG of at most LONG_SIDE px (unless the original is already
// smaller and accepted), a PDF or an undecodable image as it is; plus a thumbnail.
export async function prepare(file, doc) {
  const type = typeOf(file);
  const accept = doc.accept || [];
  let out = { blob: file, type, name: file.name || 'document', thumb: null, original: file.size };
  if (type.startsWith('image/')) {
    let bitmap = null;
    try { bitmap = await createImageBitmap(file); } catch { /* e.g. HEIC: sent as it is if accepted */ }
    if (bitmap) {
      if (!accept.length || accept.includes('image/jpeg')) {
        const jpeg = await toBlob(draw(bitmap, LONG_SIDE), 'image/jpeg', QUALITY);
        const small = Math.max(bitmap.width, bitmap.height) <= LONG_SIDE;
        const keep = small && file.size <= jpeg.size && (!accept.length || accept.includes(type));
        if (!keep) {
          const base = out.name.replace(/\.[^.]*$/, '') || 'photo';
          out = { ...out, blob: jpeg, type: 'image/jpeg', name: `${base}.jpg` };
        }
      }
      out.thumb = await toBlob(draw(bitmap, THUMB), 'image/jpeg', 0.7);
      if (bitmap.close) bitmap.close();
    }
  }
  checkFile(doc, out.type, out.blob.size);
  return out;
}

export async function sha256Hex(blob) {
  const d = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Keeps the chosen file on the phone (replacing whatever was chosen for that document) and
// starts sending it when there is a network.
export async function addFile({ dossierId, procedureCode, formVersion, doc }, file) {
  const p = await prepare(file, doc);
  const rec = { id: uuid(), dossier_id: dossierId, procedure_code: procedureCode, form_version: formVersion,
    document_code: doc.code, source: 'upload', state: 'waiting', name: p.name, type: p.type, size: p.blob.size,
    original_size: p.original, sha256: await sha256Hex(p.blob), blob: p.blob, thumb: p.thumb, offset: 0,
    url: null, upload_id: null, error: null, created_at: new Date().toISOString() };
  await replaceLocal(dossierId, doc.code, rec);
  emit({ id: rec.id, dossier_id: dossierId });
  kick();
  return rec;
}

// One local item per document of a dossier: the newest choice wins.
export async function replaceLocal(dossierId, code, rec) {
  await store().tx(['uploads'], 'readwrite', async ({ uploads }) => {
    for (const old of await req(uploads.getAll())) {
      if (old.dossier_id === dossierId && old.document_code === code) uploads.delete(old.id);
    }
    if (rec) uploads.put(rec);
  });
}

async function update(id, patch) {
  return store().tx(['uploads'], 'readwrite', async ({ uploads }) => {
    const cur = await req(uploads.get(id));
    if (!cur) return null; // removed meanwhile: never brought back
    const next = { ...cur, ...patch };
    uploads.put(next);
    return next;
  });
}

const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(String(s))));
function metadata(u) {
  const m = { procedure_code: u.procedure_code, document_code: u.document_code, filename: u.name, filetype: u.type,
    sha256: u.sha256, form_version: u.form_version };
  return Object.entries(m).filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => `${k} ${b64(v)}`).join(',');
}

async function failure(r) {
  let body = {};
  try { body = await r.json(); } catch { /* not JSON */ }
  const e = new Error(body.detail || body.title || `HTTP ${r.status}`);
  e.status = r.status;
  e.retry = r.status >= 500 || r.status === 429 || r.status === 408;
  return e;
}

async function call(method, path, headers, body) {
  try {
    return await send(method, path, { ...TUS, ...headers }, body);
  } catch (e) {
    if (e.offline) e.retry = true;
    throw e;
  }
}

const gone = (r) => r.status === 404 || r.status === 410;

async function runOne(id, fresh = false) {
  let u = await store().get('uploads', id);
  if (!u || u.state !== 'waiting') return;
  emit({ id, dossier_id: u.dossier_id, offset: u.offset, size: u.size, active: true });
  if (u.url && !fresh) {
    const r = await call('HEAD', u.url, {});
    if (gone(r)) u = await update(id, { url: null, upload_id: null, offset: 0 }); // expired: start again
    else if (r.ok) u = await update(id, { offset: Number(r.headers.get('Upload-Offset') || 0) });
    else throw await failure(r);
    if (!u) return;
  }
  if (!u.url) {
    const r = await call('POST', '/api/v1/uploads', { 'Upload-Length': String(u.size), 'Upload-Metadata': metadata(u) });
    if (r.status !== 201) throw await failure(r);
    const url = new URL(r.headers.get('Location'), location.href).pathname;
    u = await update(id, { url, upload_id: url.split('/').pop(), offset: Number(r.headers.get('Upload-Offset') || 0) });
    if (!u) return;
    // Linked at once: the item shows "uploading" on the server until the last byte is in.
    await enqueueBeforeHeld('dossier.attach', { dossier_id: u.dossier_id, document_code: u.document_code, upload_id: u.upload_id });
  }
  while (u.offset < u.size) {
    emit({ id, dossier_id: u.dossier_id, offset: u.offset, size: u.size, active: true });
    const chunk = u.blob.slice(u.offset, u.offset + CHUNK);
    const r = await call('PATCH', u.url, { 'Upload-Offset': String(u.offset), 'Content-Type': 'application/offset+octet-stream' }, chunk);
    if (r.status === 204 || (r.status === 409 && r.headers.get('Upload-Offset') !== null)) {
      u = await update(id, { offset: Number(r.headers.get('Upload-Offset')) });
      if (!u) return;
    } else if (gone(r)) {
      if (!(await update(id, { url: null, upload_id: null, offset: 0 }))) return;
      return runOne(id, true);
    } else {
      throw await failure(r);
    }
  }
  await update(id, { state: 'done', blob: null, error: null });
  emit({ id, dossier_id: u.dossier_id, offset: u.size, size: u.size, done: true });
}

let running = null;
let again = false;
let failures = 0;
let timer = null;

async function runAll() {
  if (navigator.onLine === false) return; // the `online` event syncs, and sync kicks us
  const items = (await store().all('uploads')).filter((u) => u.source === 'upload' && u.state === 'waiting')
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  for (const u of items) {
    try {
      await runOne(u.id);
      failures = 0;
    } catch (e) {
      if (e.signedOut) return;
      emit({ id: u.id, dossier_id: u.dossier_id, active: false, retry: Boolean(e.retry) });
      if (e.retry) {
        failures += 1;
        const base = Math.min(60000, 1000 * 2 ** Math.min(failures - 1, 6));
        timer = setTimeout(kick, Math.round(base * (0.5 + Math.random())));
        return;
      }
      await update(u.id, { state: 'failed', error: e.message });
      emit({ id: u.id, dossier_id: u.dossier_id, failed: true });
    }
  }
}

// Sends every waiting file, one at a time; calls during a run make it look again afterwards.
export function kick() {
  clearTimeout(timer);
  if (running) { again = true; return running; }
  // One tab sends at a time (another tab holding the lock is already at it).
  const run = async () => { do { again = false; await runAll(); } while (again); };
  running = (navigator.locks ? navigator.locks.request('hoso-uploads', { ifAvailable: true }, (lock) => lock && run()) : run())
    .finally(() => { running = null; });
  return running;
}

// A failed file (e.g. refused by the server) can be tried again as it is.
export async function retry(id) {
  await update(id, { state: 'waiting', error: null, url: null, upload_id: null, offset: 0 });
  emit({ id });
  kick();
}

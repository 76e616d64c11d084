// Signed documents on the phone: the receipt of filing and the result of each dossier.
// Online, the list and each PDF are fetched once and kept in the person's IndexedDB store
// (kv `issued:<dossier id>`, PDFs as Blobs), so a result opens offline once it was synced.
import * as api from './api.js';
import { store } from './db.js';

const key = (dossierId) => `issued:${dossierId}`;

// The documents of a dossier: fetched and cached when online, the cached copy otherwise.
export async function issuedFor(dossierId, { refresh = navigator.onLine } = {}) {
  const s = store();
  const cached = (await s.get('kv', key(dossierId))) || null;
  if (!refresh) return cached ? cached.items : [];
  let listing;
  try {
    listing = await api.get(`/api/v1/dossiers/${dossierId}/issued`);
  } catch {
    return cached ? cached.items : [];
  }
  const had = new Map(((cached && cached.items) || []).map((d) => [d.id, d]));
  const items = [];
  for (const doc of listing.items) {
    const old = had.get(doc.id);
    let blob = old && old.sha256 === doc.sha256 ? old.blob : null;
    // A document the agency is still signing has no PDF yet (ready: false).
    if (!blob && doc.ready !== false) blob = await download(doc).catch(() => null);
    items.push({ ...doc, blob });
  }
  await s.put('kv', { at: new Date().toISOString(), items }, key(dossierId));
  return items;
}

async function download(doc) {
  const r = await api.send('GET', doc.pdf_url, { Accept: 'application/pdf' });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.blob();
}

const SIGNING_WAIT_MS = 5000;

// Keeps every signed document of these dossiers on the phone (after a sync brought news).
// A document still being signed is asked for again a few times, so that it is on the phone
// before the person goes offline.
export async function prefetch(dossierIds, tries = 3) {
  const waiting = [];
  for (const id of dossierIds) {
    const items = await issuedFor(id).catch(() => []);
    if (items.some((d) => d.ready === false)) waiting.push(id);
  }
  if (waiting.length && tries > 1) setTimeout(() => prefetch(waiting, tries - 1), SIGNING_WAIT_MS);
}

// After a sync: the dossiers that changed and now have a receipt code (accepted or later).
export async function prefetchChanged(dossierIds) {
  const s = store();
  const ids = [];
  for (const id of dossierIds) {
    const d = await s.get('dossiers', id);
    if (d && d.receipt_code) ids.push(id);
  }
  await prefetch(ids);
}

// Opens the PDF in the browser's own viewer, from the copy on the phone.
export function open(doc) {
  const url = URL.createObjectURL(new Blob([doc.blob], { type: 'application/pdf' }));
  const tab = window.open(url, '_blank');
  if (!tab) location.assign(url);
  setTimeout(() => URL.revokeObjectURL(url), 5 * 60 * 1000);
  return url;
}

export function fileOf(doc) {
  const name = `${doc.kind}-${(doc.number || doc.code).replace(/[^\w.-]+/g, '-')}.pdf`;
  return new File([doc.blob], name, { type: 'application/pdf' });
}

// Web Share of the file itself where the browser can; false where it cannot.
export async function shareFile(doc) {
  if (!navigator.share || !navigator.canShare) return false;
  const file = fileOf(doc);
  if (!navigator.canShare({ files: [file] })) return false;
  await navigator.share({ files: [file], title: doc.title });
  return true;
}

export const createLink = (doc, hours = 72) => api.post(`/api/v1/documents/${doc.id}/shares`, { hours });
export const links = (doc) => api.get(`/api/v1/documents/${doc.id}/shares`).then((r) => r.items);
export const revokeLink = (doc, link) => api.request('DELETE', `/api/v1/documents/${doc.id}/shares/${link.id}`).then((r) => r.data);

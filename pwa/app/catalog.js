// The procedure catalog and form versions. The service worker keeps them for offline use:
// the catalog revalidated by ETag, every form version (immutable) prefetched after one visit
// (worker_client.js).
import { loc } from './i18n.js';

let catalog = null;
const forms = new Map();

async function json(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw Object.assign(new Error(`${url}: ${r.status}`), { status: r.status });
  return r.json();
}

export async function getCatalog() {
  if (!catalog) {
    catalog = json('/api/v1/procedures').then((b) => b.items).catch((e) => { catalog = null; throw e; });
  }
  return catalog;
}

export async function getProcedure(code) {
  const items = await getCatalog().catch(() => []);
  return items.find((p) => p.code === code) || json(`/api/v1/procedures/${encodeURIComponent(code)}`);
}

export async function getForm(code, version) {
  const key = `${code}/${version}`;
  if (!forms.has(key)) {
    forms.set(key, json(`/api/v1/procedures/${encodeURIComponent(code)}/forms/${version}`)
      .catch((e) => { forms.delete(key); throw e; }));
  }
  return forms.get(key);
}

// Search that ignores Vietnamese diacritics ("dang ky" finds "Đăng ký").
export function fold(s) {
  return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

// Who handles a procedure: the competent agency as the directory routes it (e.g. "UBND xã,
// phường nơi cư trú"); a catalog cached before the directory names one agency.
export function handledBy(p) {
  return loc((p.competent && p.competent.label) || p.agency.name);
}

// The procedures an official's agency handles: those whose competent kind and level are the
// agency's; a bundle is no desk's (its members are), as the server's directory.handled_procedures.
export function handledByAgency(procs, user) {
  const agency = user.agency;
  return procs.filter((p) => !(p.members || []).length && (p.competent && agency
    ? p.competent.kind === agency.kind && p.competent.level === agency.level
    : p.agency.code === user.agency_code));
}

export function search(items, q) {
  const words = fold(q).split(/\s+/).filter(Boolean);
  if (!words.length) return items;
  return items.filter((p) => {
    const hay = fold([loc(p.name), p.name.vi, p.name.en, loc(p.summary), p.code, handledBy(p)].join(' '));
    return words.every((w) => hay.includes(w));
  });
}

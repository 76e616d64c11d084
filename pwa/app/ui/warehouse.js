// The citizen's data warehouse (`#/warehouse`): identity profile with sources, results of
// earlier procedures, reusable documents, and who read what, when (GET /api/v1/warehouse).
// Online it is fetched (and the read is logged); offline the last copy is shown.
import { get } from '../api.js';
import { getCatalog } from '../catalog.js';
import { h } from '../dom.js';
import { fmtDate, loc, t } from '../i18n.js';
import { store } from '../db.js';
import { title } from './shell.js';
import { viewLink } from './viewer.js';

// Agency codes in the people's words: the catalog names every agency that handles a procedure.
let agencies = new Map();
const agencyName = (code) => (agencies.has(code) ? loc(agencies.get(code)) : code);

function show(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return Object.values(value).filter(Boolean).join(', ');
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(value))) return fmtDate(value);
  return String(value);
}

function recordCard(r) {
  return h('li.card', { 'data-record': r.id },
    h('strong', loc(r.label)),
    r.number ? h('p.meta', r.number) : null,
    r.issued_on ? h('p.meta', t('warehouse.issued', { date: fmtDate(r.issued_on) })) : null,
    r.agency_code ? h('p.meta', agencyName(r.agency_code)) : null,
    r.has_file ? h('div.doc-actions', viewLink('record', r.id, loc(r.label))) : null);
}

function actor(e) {
  if (e.actor === 'you') return t('warehouse.you');
  if (e.actor_kind === 'official') return t('warehouse.official', { name: e.actor || '', agency: agencyName(e.agency_code || '') });
  return e.actor || '';
}

function subject(e) {
  if (e.subject === 'profile') return t('warehouse.subject_profile');
  if (e.subject === 'document') return `${t('warehouse.subject_document')} (${(e.keys || []).join(', ')})`;
  return e.record_label ? loc(e.record_label) : e.subject;
}

export async function renderWarehouse(main) {
  const catalog = await getCatalog().catch(() => []);
  agencies = new Map(catalog.map((p) => [p.agency.code, p.agency.name]));
  let data = null;
  let cached = null;
  try {
    data = await get('/api/v1/warehouse');
    await store().put('kv', { at: new Date().toISOString(), data }, 'warehouse');
  } catch (err) {
    cached = await store().get('kv', 'warehouse');
    if (!cached) throw err;
    data = cached.data;
  }
  // The signed documents issued to the person (each opens from its dossier's page).
  let signed = [];
  try {
    signed = (await get('/api/v1/documents')).items;
    await store().put('kv', signed, 'issued:all');
  } catch { signed = (await store().get('kv', 'issued:all')) || []; }
  const profile = Object.entries(data.profile || {});
  const empty = h('p.muted', t('warehouse.none'));
  title(main, t('warehouse.title'),
    cached ? h('p.notice', { role: 'status' }, t('warehouse.cached', { at: fmtDate(cached.at) })) : null,
    h('p', t('warehouse.intro')),
    h('h2', t('warehouse.profile')),
    profile.length ? h('dl.facts.profile', profile.map(([key, p]) => [
      h('dt', t(`profile.${key}`)),
      h('dd', show(p.value), h('span.src', ` · ${loc(p.source_label) || p.source} · ${p.verified ? t('warehouse.verified') : t('warehouse.unverified')}`)),
    ])) : empty.cloneNode(true),
    h('h2', t('warehouse.records')),
    (data.records || []).length ? h('ul.cards', data.records.map(recordCard)) : empty.cloneNode(true),
    h('h2', t('warehouse.signed_documents')),
    signed.length ? h('ul.cards', signed.map((d) => h('li.card', { 'data-issued': d.id },
      h('a', { href: `#/d/${d.dossier_id}` }, h('strong', d.title)),
      h('p.meta', `${d.number} · ${fmtDate(d.issued_at)}`),
      d.ready === false ? h('p.muted', t('results.preparing')) : null))) : empty.cloneNode(true),
    h('h2', t('warehouse.documents')),
    (data.documents || []).length ? h('ul.cards', data.documents.map(recordCard)) : empty.cloneNode(true),
    h('h2', t('warehouse.log')),
    (data.access_log || []).length
      ? h('ol.log', data.access_log.map((e) => h('li', { 'data-purpose': e.purpose },
        h('time', { datetime: e.at }, fmtDate(e.at)), ' ', h('strong', actor(e)), ` ${t(`purpose.${e.purpose}`)}: ${subject(e)}`)))
      : empty.cloneNode(true));
}

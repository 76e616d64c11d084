// The shared code tables forms take their options from (ethnic groups, nationalities,
// administrative units; docs/form-schema.md): fetched once, kept in IndexedDB on the device
// beside the catalog (for whoever uses the phone), refreshed by ETag when online, read offline.
import { device } from './db.js';

const INDEX = '/api/v1/code-tables';
const key = (name) => `code-table:${name}`;
const memory = new Map(); // name -> {name, etag, version, doc}
let syncing = null;

async function held(name) {
  if (!memory.has(name)) {
    const rec = await device.get('kv', key(name)).catch(() => null);
    if (rec) memory.set(name, rec);
  }
  return memory.get(name) || null;
}

// One table from the server: 304 keeps the copy the phone holds.
async function download(entry, copy) {
  const headers = { Accept: 'application/json' };
  if (copy) headers['If-None-Match'] = `"${copy.etag}"`;
  const r = await fetch(entry.href, { headers, cache: 'no-store' });
  if (r.status === 304 && copy) return { ...copy, etag: entry.etag };
  if (!r.ok) throw new Error(`${entry.href}: ${r.status}`);
  const rec = { name: entry.name, etag: entry.etag, version: entry.version, doc: await r.json() };
  await device.put('kv', rec, key(entry.name));
  return rec;
}

// Brings every table up to date: the index, then only the tables whose ETag changed.
// Resolves once the phone holds them all; rejects offline or on a server error.
export function syncCodeTables() {
  if (!syncing) {
    syncing = (async () => {
      const r = await fetch(INDEX, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
      if (!r.ok) throw new Error(`${INDEX}: ${r.status}`);
      for (const entry of (await r.json()).tables || []) {
        const copy = await held(entry.name);
        memory.set(entry.name, copy && copy.etag === entry.etag ? copy : await download(entry, copy));
      }
      return true;
    })().finally(() => { syncing = null; });
  }
  return syncing;
}

// The names of the tables a form takes options from (its fields and groups' sub-fields).
export function tableNames(form) {
  const names = new Set();
  for (const section of form.sections || []) {
    for (const f of section.fields || []) {
      for (const one of [f, ...(f.fields || [])]) if (one.options_from) names.add(one.options_from);
    }
  }
  return names;
}

// {name: document} for the tables `form` uses, as the phone holds them; one never fetched is
// fetched now if there is a network. One still missing is left out: the server judges its codes.
export async function tablesFor(form) {
  const out = {};
  for (const name of tableNames(form)) {
    let rec = await held(name);
    if (!rec && navigator.onLine !== false) {
      await syncCodeTables().catch(() => {});
      rec = memory.get(name) || null;
    }
    if (rec) out[name] = rec.doc;
  }
  return out;
}

// The outbox: contract mutations waiting to be pushed, with per-client increasing ids.
// Drafts are saved as the person types and queued as `dossier.save` carrying only the fields
// changed since the last queued save; an unsent save of the same draft is topped up in place.
import { req, store } from './db.js';

const now = () => new Date().toISOString();
const clone = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function changed() {
  window.dispatchEvent(new CustomEvent('hoso:queue'));
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.ready.then((r) => r.sync && r.sync.register('hoso-sync')).catch(() => {});
  }
}

async function nextId(kv) {
  const id = (await req(kv.get('next_mutation_id'))) || 1;
  kv.put(id + 1, 'next_mutation_id');
  return id;
}

export async function clientId() {
  return store().tx(['kv'], 'readwrite', async ({ kv }) => {
    let id = await req(kv.get('client_id'));
    if (!id) {
      id = crypto.randomUUID ? crypto.randomUUID() : (await import('./dom.js')).uuid();
      kv.put(id, 'client_id');
    }
    return id;
  });
}

export async function enqueue(name, args) {
  const m = await store().tx(['kv', 'outbox'], 'readwrite', async ({ kv, outbox }) => {
    const mutation = { id: await nextId(kv), name, args, captured_at: now() };
    outbox.put(mutation);
    return mutation;
  });
  changed();
  return m;
}

// Queues a mutation that must reach the server before a waiting submission of the same
// dossier (an upload created after the person pressed "Submit" offline): it takes the first
// held `dossier.submit`/`dossier.supplement`'s id and shifts that one and everything after it
// up by one. Only never-sent mutations move (sync.js never sends past a held one).
export const HELD = new Set(['dossier.submit', 'dossier.supplement']);
export async function enqueueBeforeHeld(name, args) {
  const m = await store().tx(['kv', 'outbox'], 'readwrite', async ({ kv, outbox }) => {
    const all = (await req(outbox.getAll())).sort((a, b) => a.id - b.id);
    const at = all.findIndex((x) => HELD.has(x.name) && !x.attempted && x.args && x.args.dossier_id === args.dossier_id);
    const tail = at < 0 ? [] : all.slice(at);
    if (at < 0 || tail.some((x) => x.attempted)) {
      const mutation = { id: await nextId(kv), name, args, captured_at: now() };
      outbox.put(mutation);
      return mutation;
    }
    await nextId(kv);
    for (const x of tail.reverse()) outbox.put({ ...x, id: x.id + 1 });
    const mutation = { id: all[at].id, name, args, captured_at: now() };
    outbox.put(mutation);
    return mutation;
  });
  changed();
  return m;
}

export async function pending() {
  return (await store().all('outbox')).sort((a, b) => a.id - b.id);
}

export async function count() {
  return store().count('outbox');
}

// Saves the draft's values and queues what changed since the last queued save, in one transaction.
// `hold`: fields the person is still fixing (invalid even for a draft): kept on the phone only,
// since the server refuses a save that carries an invalid field.
export async function saveDraft(draft, hold = new Set()) {
  const queued = await store().tx(['kv', 'outbox', 'drafts'], 'readwrite', async ({ kv, outbox, drafts }) => {
    const stored = (await req(drafts.get(draft.id))) || {};
    const record = { ...stored, ...draft, fields: clone(draft.fields), updated_at: now() };
    record.sent = stored.sent || {};
    record.base_version = stored.base_version ?? draft.base_version ?? 0;
    const diff = {};
    const keys = new Set([...Object.keys(record.fields), ...Object.keys(record.sent)]);
    for (const k of keys) {
      if (!hold.has(k) && !same(record.fields[k], record.sent[k])) diff[k] = clone(record.fields[k]);
    }
    const isNew = !stored.id;
    if (!Object.keys(diff).length && !isNew) {
      drafts.put(record);
      return false;
    }
    const mine = (await req(outbox.getAll())).filter((m) => m.args && m.args.dossier_id === draft.id);
    const last = mine.sort((a, b) => b.id - a.id)[0];
    if (last && last.name === 'dossier.save' && !last.attempted) {
      last.args.fields = { ...last.args.fields, ...diff };
      last.captured_at = now();
      outbox.put(last);
    } else {
      outbox.put({ id: await nextId(kv), name: 'dossier.save', captured_at: now(), args: {
        dossier_id: record.id, procedure_code: record.procedure_code, form_version: record.form_version,
        base_version: record.base_version, fields: diff } });
    }
    record.sent = { ...record.sent, ...diff };
    drafts.put(record);
    return true;
  });
  if (queued) changed();
  return queued;
}

export async function getDraft(id) {
  return store().get('drafts', id);
}

// Marks mutations as sent once (so a save already on the wire is never edited in place).
export async function markAttempted(ids) {
  await store().tx(['outbox'], 'readwrite', async ({ outbox }) => {
    for (const id of ids) {
      const m = await req(outbox.get(id));
      if (m && !m.attempted) { m.attempted = true; outbox.put(m); }
    }
  });
}

// The server has these (id <= last): drop them.
export async function acknowledge(last) {
  await store().tx(['outbox'], 'readwrite', async ({ outbox }) => {
    outbox.delete(IDBKeyRange.upperBound(last));
  });
}

// Gives the queued (never applied) mutations the ids the server expects next, from `first` on,
// optionally dropping one (e.g. a mutation too large to ever be accepted).
export async function renumber(first, dropId = null) {
  await store().tx(['kv', 'outbox'], 'readwrite', async ({ kv, outbox }) => {
    const all = (await req(outbox.getAll())).sort((a, b) => a.id - b.id);
    outbox.clear();
    let id = first;
    for (const m of all) {
      if (m.id === dropId) continue;
      outbox.put({ ...m, id, attempted: false });
      id += 1;
    }
    kv.put(id, 'next_mutation_id');
  });
}

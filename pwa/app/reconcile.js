// Local reconciliation: what a push answer or a pulled change does to the phone's store.
// The server's copy of each entity is kept, the person's unsent draft values are rebased on it
// (nothing typed is dropped), acknowledged mutations leave the outbox, rejections and conflicts
// are recorded for the person to see. No network here: sync.js moves the bytes.
import { req, store } from './db.js';

const isDossier = (e) => e && typeof e === 'object' && 'procedure_code' in e && 'status' in e;
const isNotification = (e) => e && typeof e === 'object' && 'kind' in e && 'title' in e;

export function notify(detail) {
  globalThis.dispatchEvent(new CustomEvent('hoso:data', { detail })); // the page, or the worker
}

// The server's copy of a dossier, and the local draft rebased on it: fields still queued or not
// yet queued keep the person's value; everything else takes the server's.
async function putDossier(s, entity) {
  s.dossiers.put(entity);
  const draft = await req(s.drafts.get(entity.id));
  if (!draft) return;
  if (entity.status !== 'draft') { s.drafts.delete(entity.id); return; }
  if ((draft.base_version || 0) > entity.version) return; // an older copy than we already have
  const mine = (await req(s.outbox.getAll())).filter((m) => m.args && m.args.dossier_id === entity.id && m.name === 'dossier.save');
  const queued = Object.assign({}, ...mine.map((m) => m.args.fields || {}));
  const sent = { ...(entity.fields || {}), ...queued };
  const local = {};
  for (const [k, v] of Object.entries(draft.fields || {})) {
    if (JSON.stringify(v) !== JSON.stringify((draft.sent || {})[k])) local[k] = v;
  }
  for (const m of mine) {
    if (!m.attempted) { m.args.base_version = entity.version; s.outbox.put(m); }
  }
  s.drafts.put({ ...draft, fields: { ...sent, ...local }, sent, base_version: entity.version });
}

async function applyChange(s, change, seen) {
  const { entity, id, op, data } = change;
  if (seen) seen[entity] && seen[entity].add(String(id));
  if (entity === 'dossier') {
    if (op === 'delete') { s.dossiers.delete(String(id)); return; }
    if (data) await putDossier(s, data);
  } else if (entity === 'notification') {
    if (op === 'delete') s.notifications.delete(String(id));
    else if (data) s.notifications.put({ ...data, id: String(data.id ?? id) });
  } else if (entity === 'conflict') {
    if (op === 'delete') s.conflicts.delete(String(id));
    else if (data) s.conflicts.put({ ...data, id: String(data.id ?? id) });
  }
}

export async function applyResults(body, sentIds) {
  const results = body.results || [];
  const touched = [];
  await store().tx(['outbox', 'drafts', 'dossiers', 'results', 'conflicts', 'notifications'], 'readwrite', async (s) => {
    for (const r of results) {
      s.outbox.delete(IDBKeyRange.upperBound(r.id));
      if (isDossier(r.entity)) { await putDossier(s, r.entity); touched.push(r.entity.id); }
      else if (isNotification(r.entity)) s.notifications.put({ ...r.entity, id: String(r.entity.id) });
      if (r.conflict && r.conflict.id) s.conflicts.put({ ...r.conflict, id: String(r.conflict.id) });
      for (const c of r.conflicts || []) {
        if (c.id) s.conflicts.put({ dossier_id: r.entity && r.entity.id, ...c, id: String(c.id) });
      }
      if (r.status === 'rejected' || r.status === 'conflict') {
        const sent = sentIds.get(r.id) || {};
        s.results.put({ id: r.id, name: sent.name, dossier_id: (sent.args || {}).dossier_id || (r.entity && r.entity.id),
          status: r.status, error: r.error || null, conflicts: r.conflicts || [], reason: r.reason || null,
          missing: r.missing || null, at: new Date().toISOString(), seen: false });
      }
    }
    if (body.last_mutation_id) s.outbox.delete(IDBKeyRange.upperBound(body.last_mutation_id));
  });
  const submitted = results.some((r) => (sentIds.get(r.id) || {}).name === 'dossier.submit'
    && (r.status === 'applied' || r.status === 'merged'));
  notify({ dossiers: touched, results: results.length, submitted });
}

// One pulled page in one transaction: each change applied, the mutations it acknowledges
// dropped from the outbox, the cursor kept, and after the last page of a snapshot (`seen` set)
// whatever the snapshot did not mention removed. Returns how many changes it carried.
export async function applyPage(body, seen, touched) {
  let changes = 0;
  await store().tx(['kv', 'outbox', 'drafts', 'dossiers', 'notifications', 'conflicts'], 'readwrite', async (s) => {
    for (const c of body.changes || []) {
      changes += 1;
      await applyChange(s, c, seen);
      if (c.entity === 'dossier') touched.add(String(c.id));
    }
    if (body.last_mutation_id) s.outbox.delete(IDBKeyRange.upperBound(body.last_mutation_id));
    if (!body.has_more && seen) {
      // A snapshot is everything we may see: drop what it did not mention.
      for (const name of ['dossiers', 'notifications', 'conflicts']) {
        const kind = name.slice(0, -1);
        for (const key of await req(s[name].getAllKeys())) {
          if (!seen[kind].has(String(key))) s[name].delete(key);
        }
      }
    }
    s.kv.put(body.cursor, 'cursor');
  });
  return changes;
}

// Sync transport: push the outbox (contract: /api/v1/sync/push), then pull changes
// (/api/v1/sync/pull); what an answer changes on the phone is reconcile.js's job.
// Runs on the `online` event, on Background Sync (the worker wakes us; with no page open the
// worker runs it itself, see sendInBackground), when the app comes to the foreground, after each
// queued change, and on a timer: exponential backoff with jitter after a failure (iOS has no
// Background Sync), a slow poll otherwise.
import { request } from './api.js';
import { req, store, hasStore, userStore } from './db.js';
import { HELD, acknowledge, clientId, count, pending, renumber } from './outbox.js';
import { applyPage, applyResults, notify } from './reconcile.js';

const MAX_BATCH = 100;
const MAX_BYTES = 900 * 1024; // under the server's 1 MiB, with room for the envelope
const POLL_MS = 10000;
const state = { enabled: false, phase: 'idle', waiting: 0, dirty: 0, uploads: 0, offline: !navigator.onLine, signedOut: false,
  error: null, retryAt: null, lastOk: null };
const subscribers = new Set();
let running = null;
let again = false;
let failures = 0;
let timer = null;

export function syncState() { return { ...state }; }
export function subscribe(fn) { subscribers.add(fn); fn(syncState()); return () => subscribers.delete(fn); }
function emit(patch) {
  Object.assign(state, patch);
  for (const fn of subscribers) fn(syncState());
}
export function setDirty(n) { emit({ dirty: n }); }
// A document chosen on the phone whose bytes have not all reached the server (uploads.js).
export const uploadPending = (u) => u.source === 'upload' && u.state === 'waiting';
export async function refreshCount() {
  if (!hasStore()) return;
  const [waiting, docs] = await Promise.all([count(), store().all('uploads')]);
  emit({ waiting, uploads: docs.filter(uploadPending).length });
}

// The uploader is loaded only when there is something to send.
export async function kickUploads() {
  if (!hasStore() || !(await store().all('uploads')).some(uploadPending)) return;
  (await import('./uploads.js')).kick();
}

// The next batch, marked as sent, in one transaction (so an upload's `dossier.attach` slotted
// in before a held submission cannot race with it). A submission (or supplement answer) waits,
// and everything queued after it, while a document of its dossier is still uploading from this
// phone: once the bytes are in, the server has the item `ready` and accepts it.
async function takeBatch(limit) {
  return store().tx(['outbox', 'uploads'], 'readwrite', async (s) => {
    const items = (await req(s.outbox.getAll())).sort((a, b) => a.id - b.id);
    const busy = new Set((await req(s.uploads.getAll())).filter(uploadPending).map((u) => u.dossier_id));
    const batch = [];
    let bytes = 0;
    for (const m of items.slice(0, limit)) {
      if (HELD.has(m.name) && m.args && busy.has(m.args.dossier_id)) break;
      const wire = { id: m.id, name: m.name, args: m.args, captured_at: m.captured_at };
      const size = JSON.stringify(wire).length + 1;
      if (batch.length && bytes + size > MAX_BYTES) break;
      batch.push(wire);
      bytes += size;
      if (!m.attempted) s.outbox.put({ ...m, attempted: true });
    }
    return batch;
  });
}

async function push() {
  const cid = await clientId();
  let limit = MAX_BATCH;
  for (let round = 0; round < 1000; round += 1) {
    const batch = await takeBatch(limit);
    if (!batch.length) return;
    emit({ phase: 'syncing' });
    const r = await request('POST', '/api/v1/sync/push', { body: { client_id: cid, mutations: batch }, expect: [409, 413] });
    if (r.status === 413) {
      if (batch.length === 1) {
        // Never acceptable: record why, and give the ids behind it their place in the sequence.
        await store().put('results', { id: batch[0].id, name: batch[0].name, dossier_id: (batch[0].args || {}).dossier_id,
          status: 'rejected', error: r.data, at: new Date().toISOString(), seen: false });
        await renumber(batch[0].id, batch[0].id);
      } else {
        limit = Math.max(1, Math.floor(batch.length / 2));
      }
      continue;
    }
    if (r.status === 409) {
      const last = (r.data && r.data.last_mutation_id) || 0;
      await acknowledge(last);
      const rest = await pending();
      if (rest.length && rest[0].id !== last + 1) await renumber(last + 1);
      continue;
    }
    await applyResults(r.data, new Map(batch.map((m) => [m.id, m])));
    limit = MAX_BATCH;
    await refreshCount();
  }
}

async function pull() {
  const cid = await clientId();
  let cursor = await store().get('kv', 'cursor');
  let seen = cursor ? null : { dossier: new Set(), notification: new Set(), conflict: new Set() };
  const touched = new Set();
  let changes = 0;
  for (let page = 0; page < 200; page += 1) {
    const q = new URLSearchParams({ client_id: cid, limit: '200' });
    if (cursor) q.set('cursor', cursor);
    const r = await request('GET', `/api/v1/sync/pull?${q}`, { expect: [410] });
    if (r.status === 410) { // the server can no longer serve our cursor: start again from a snapshot
      cursor = null;
      seen = { dossier: new Set(), notification: new Set(), conflict: new Set() };
      await store().del('kv', 'cursor');
      continue;
    }
    const body = r.data;
    changes += await applyPage(body, seen, touched);
    cursor = body.cursor;
    if (!body.has_more) break;
  }
  if (changes || seen) notify({ dossiers: [...touched], pulled: true });
}

// Push then pull, one at a time per phone: the page and the service worker (which sends the
// queue while no page of the app is open) take the same lock.
function exchange() {
  const run = async () => { await push(); await pull(); };
  return navigator.locks ? navigator.locks.request('hoso-sync', run) : run();
}

// Background Sync with no page open (called by the service worker, sw-sync.js): the queue of
// the person who last used the phone goes out and the phone's copy is brought up to date.
// A submission waiting for a document still uploading stays queued: only the page uploads.
// Throws when the network or the server fails, so the browser tries again later.
export async function sendInBackground(user) {
  userStore(user.id);
  await exchange();
}

function schedule(ms) {
  clearTimeout(timer);
  emit({ retryAt: ms ? Date.now() + ms : null });
  timer = setTimeout(() => syncNow('timer'), ms);
}

// Runs one sync (push then pull); concurrent calls join the running one and run it again after.
export function syncNow(reason = 'manual') {
  if (!hasStore() || !state.enabled) return Promise.resolve();
  if (running) { again = true; return running; }
  running = (async () => {
    do {
      again = false;
      try {
        if (navigator.onLine === false) {
          // Known offline: wait for the `online` event (a queued save can still be topped up).
          emit({ phase: 'idle', offline: true });
          break;
        }
        emit({ phase: 'syncing', error: null });
        await exchange();
        kickUploads().catch(() => {});
        failures = 0;
        emit({ phase: 'idle', offline: false, signedOut: false, lastOk: Date.now() });
      } catch (e) {
        failures += 1;
        const offline = Boolean(e.offline);
        emit({ phase: 'idle', offline, signedOut: Boolean(e.signedOut), error: offline || e.signedOut ? null : (e.message || 'error') });
        if (e.signedOut) break;
        const base = Math.min(120000, 1000 * 2 ** Math.min(failures - 1, 7));
        schedule(Math.round(base * (0.5 + Math.random()))); // jitter: phones do not retry in lockstep
        break;
      } finally {
        await refreshCount();
      }
    } while (again);
    if (!state.signedOut && failures === 0) schedule(document.visibilityState === 'visible' ? POLL_MS : POLL_MS * 6);
  })().finally(() => { running = null; });
  void reason;
  return running;
}

let kick = null;
// A queued change: push soon, letting a burst of typing settle into one request.
export function soon(ms = 800) {
  clearTimeout(kick);
  kick = setTimeout(() => syncNow('queued'), ms);
}

// Signed out on purpose: nothing to sync and no state to show until someone signs in.
export function stop() {
  clearTimeout(timer);
  clearTimeout(kick);
  emit({ enabled: false, signedOut: false, error: null });
}

let started = false;
export function start() {
  emit({ enabled: true });
  if (started) return syncNow('start');
  started = true;
  window.addEventListener('online', () => { emit({ offline: false }); failures = 0; syncNow('online'); });
  window.addEventListener('offline', () => emit({ offline: true }));
  window.addEventListener('hoso:queue', () => { refreshCount(); soon(); });
  // An upload moved: recount; once one finished, a held submission can go.
  window.addEventListener('hoso:uploads', (e) => { refreshCount(); if (e.detail && e.detail.done) soon(100); });
  window.addEventListener('focus', () => syncNow('focus'));
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncNow('visible'); });
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'hoso:data') { // what the worker's own sync brought (sw-sync.js)
        refreshCount();
        window.dispatchEvent(new CustomEvent('hoso:data', { detail: e.data.detail || {} }));
        return;
      }
      if (!e.data || e.data.type !== 'sync') return;
      if (e.ports && e.ports[0]) e.ports[0].postMessage({ type: 'sync-taken' }); // the worker need not send
      syncNow('background-sync');
    });
  }
  refreshCount();
  return syncNow('start');
}

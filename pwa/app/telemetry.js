// Where citizens fail, without any personal value (docs/quality.md): a field's *name* and
// the rule it broke, never what was typed; sections and times; sync, upload and payment
// failures with a reason code; app errors by their kind. Queued on the phone, sent in
// batches after a successful sync (never in the mutation queue, so it blocks nothing), and
// turned off in Account (the queue is then dropped).
import * as api from './api.js';
import { hasStore } from './db.js';
import { clientId } from './outbox.js';
import { subscribe } from './sync.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const QUEUE = 'hoso.telemetry';
const OFF = 'hoso.telemetry.off';
const FILL = 'hoso.telemetry.fill'; // draft id -> ms spent typing (stays on the phone)
const MAX_QUEUE = 300;
const BATCH = 100;
const SUMMARY_EVERY = 20;
const IDLE_MS = 120000; // a pause longer than this is not time spent on a section

export const enabled = () => localStorage.getItem(OFF) !== '1';

export function setEnabled(on) {
  if (on) localStorage.removeItem(OFF);
  else { localStorage.setItem(OFF, '1'); localStorage.removeItem(QUEUE); localStorage.removeItem(FILL); }
}

function network() {
  if (navigator.onLine === false) return 'offline';
  const type = navigator.connection && navigator.connection.effectiveType;
  return ['slow-2g', '2g', '3g', '4g'].includes(type) ? type : 'unknown';
}

const read = (key, empty) => { try { return JSON.parse(localStorage.getItem(key)) || empty; } catch { return empty; } };

export function record(kind, data = {}) {
  if (!enabled()) return;
  try {
    const queue = read(QUEUE, []);
    queue.push({ kind, network: network(), ...data });
    localStorage.setItem(QUEUE, JSON.stringify(queue.slice(-MAX_QUEUE)));
  } catch { /* storage full: telemetry is the first thing to give up */ }
}

// Sync attempts per network, counted here and sent as one summary per network per batch.
const attempts = new Map();
let sending = null;

export function flush() {
  if (sending || !enabled() || !hasStore() || navigator.onLine === false) return sending;
  // Sync counts alone wait until they are worth a request.
  const tried = [...attempts.values()].reduce((sum, n) => sum + n.attempts, 0);
  if (!read(QUEUE, []).length && tried < SUMMARY_EVERY) return null;
  for (const [net, n] of attempts) record('sync_summary', { attempts: n.attempts, failures: n.failures, network: net });
  attempts.clear();
  const batch = read(QUEUE, []).slice(0, BATCH);
  if (!batch.length) return null;
  sending = (async () => {
    try {
      await api.post('/api/v1/sync/telemetry', { client_id: await clientId(), events: batch });
      drop(batch.length);
    } catch (err) {
      // Refused as it is (4xx): it would be refused again; offline or a 5xx: kept for later.
      if (err instanceof api.ApiError && err.status < 500) drop(batch.length);
    } finally { sending = null; }
  })();
  return sending;
}

function drop(n) {
  localStorage.setItem(QUEUE, JSON.stringify(read(QUEUE, []).slice(n)));
}

// Each sync run that ends: a success sends the queue; a failure says why.
function watchSync() {
  let last = null;
  subscribe((state) => {
    if (last && last.phase === 'syncing' && state.phase === 'idle') {
      const net = network();
      const count = attempts.get(net) || { attempts: 0, failures: 0 };
      count.attempts += 1;
      const ok = state.lastOk && state.lastOk !== last.lastOk;
      if (!ok) {
        count.failures += 1;
        record('sync_failed', { reason: state.offline ? 'offline' : state.signedOut ? 'auth' : 'error' });
      }
      attempts.set(net, count);
      if (ok) flush();
    }
    last = state;
  });
}

const SCREENS = { '': 'catalog', p: 'procedure', d: 'dossier', dossiers: 'dossiers', inbox: 'inbox', conflicts: 'conflicts',
  warehouse: 'warehouse', login: 'login', signup: 'signup', verify: 'verify', reset: 'reset', account: 'account',
  office: 'office', quality: 'quality', view: 'view', welcome: 'welcome' };
const ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError', 'QuotaExceededError', 'NetworkError', 'AbortError', 'NotFoundError', 'InvalidStateError', 'DataError',
  'UnknownError', 'SecurityError', 'NotAllowedError', 'TimeoutError', 'VersionError', 'ConstraintError', 'TransactionInactiveError']);

function screen() {
  const parts = location.hash.replace(/^#\/?/, '').split(/[/?]/);
  if (parts[0] === 'd' && parts[2] === 'edit') return 'editor';
  if (parts[0] === 'p' && parts[2] === 'start') return 'start';
  return SCREENS[parts[0]] || 'other';
}

function appError(err) {
  const name = err && typeof err.name === 'string' && ERRORS.has(err.name) ? err.name : 'other';
  record('app_error', { error: name, screen: screen() });
}

let started = false;
export function init() {
  if (started) return;
  started = true;
  watchSync();
  window.addEventListener('error', (e) => appError(e.error));
  window.addEventListener('unhandledrejection', (e) => appError(e.reason));
  window.addEventListener('hoso:uploads', (e) => {
    const d = e.detail || {};
    if (d.failed) record('upload_failed', { reason: 'refused' });
    else if (d.retry) record('upload_retry', { reason: navigator.onLine === false ? 'offline' : 'server' });
  });
  window.addEventListener('online', () => flush());
}

export function paymentFailed(err) {
  record('payment_failed', { reason: err instanceof api.NetworkError ? 'network' : err instanceof api.ApiError && err.status >= 500 ? 'server' : 'error' });
}

// The rule a validation message stands for: the message catalogue's key whose text (with
// its {placeholders} as wildcards) matches, or the id of the form's own cross-field rule.
let templates = null;
async function rulesOf() {
  if (!templates) {
    templates = fetch('/i18n/messages.json').then((r) => r.json()).then((all) => Object.entries(all).map(([key, texts]) => [key,
      ['vi', 'en'].map((lang) => new RegExp(`^${String(texts[lang] || '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{\w+\\\}/g, '.*')}$`))]))
      .catch(() => []);
  }
  return templates;
}

async function ruleOf(message, form) {
  for (const r of form.rules || []) {
    if (r.message && [r.message.vi, r.message.en].includes(message)) return `rule:${r.id}`;
  }
  for (const [key, patterns] of await rulesOf()) if (patterns.some((re) => re.test(message))) return key;
  return 'other';
}

// The editor's session of one draft: time per section, where the person left, the fields
// that failed at "Submit", the time to fill. Only names and codes leave the phone.
export function watchEditor(root, draft, form) {
  const base = { procedure: draft.procedure_code, version: draft.form_version };
  const ids = (form.sections || []).filter((s) => (s.fields || []).length).map((s) => s.id);
  const spent = {};
  let section = null;
  let since = Date.now();
  let done = false;
  const account = () => {
    const now = Date.now();
    if (section) spent[section] = (spent[section] || 0) + Math.min(now - since, IDLE_MS);
    since = now;
  };
  const onFocus = (e) => {
    const box = e.target.closest && e.target.closest('fieldset.section');
    const index = box ? [...root.querySelectorAll(':scope > fieldset.section')].indexOf(box) : -1;
    account();
    section = ids[index] || section;
  };
  root.addEventListener('focusin', onFocus);
  const report = () => {
    account();
    const fills = read(FILL, {});
    let total = fills[draft.id] || 0;
    for (const [id, ms] of Object.entries(spent)) {
      if (ms > 0) record('section_time', { ...base, section: id, ms: Math.round(ms) });
      total += ms;
      spent[id] = 0;
    }
    return Math.round(total);
  };
  return {
    async failed(errors, missingDocuments = []) {
      const seen = new Set();
      for (const [key, messages] of Object.entries(errors || {})) {
        const field = key.replace(/\.\d+\./, '.');
        for (const msg of messages) {
          const rule = await ruleOf(String(msg), form);
          if (seen.has(`${field}|${rule}`)) continue;
          seen.add(`${field}|${rule}`);
          record('validation_failed', { ...base, field, rule });
        }
      }
      for (const code of missingDocuments) record('validation_failed', { ...base, field: `documents.${code}`, rule: 'missing' });
    },
    submitted() {
      done = true;
      const ms = report();
      const fills = read(FILL, {});
      delete fills[draft.id];
      localStorage.setItem(FILL, JSON.stringify(fills));
      record('submitted', { ...base, ms });
    },
    leave() {
      root.removeEventListener('focusin', onFocus);
      if (done) return;
      const ms = report();
      if (enabled()) localStorage.setItem(FILL, JSON.stringify({ ...read(FILL, {}), [draft.id]: ms }));
      record('draft_left', { ...base, section: section || ids[0] || null });
    },
  };
}

// The switch in Account.
export function settingsBox() {
  const box = h('section', { 'aria-labelledby': 'telemetry-h' }, h('h2', { id: 'telemetry-h' }, t('telemetry.title')));
  const input = h('input', { type: 'checkbox', id: 'telemetry-on', checked: enabled() });
  input.addEventListener('change', () => setEnabled(input.checked));
  box.append(h('p.help', t('telemetry.what')), h('label.choice', { for: 'telemetry-on' }, input, ` ${t('telemetry.send')}`));
  return box;
}

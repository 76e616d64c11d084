// What this phone's browser offers for keeping and sending the queue, and what Hoso tells the
// person about it. On an iPhone every browser is WebKit: no Background Sync (the queue goes only
// while the app is open), no `navigator.storage.persist()`, and Safari erases a website's storage
// after seven days without a visit unless it was added to the Home Screen; Web Push only for an
// app on the Home Screen (iOS 16.4+). So, while something waits only on the phone, a banner says
// so plainly and shows the iPhone's own steps to add Hoso to the Home Screen (docs/pwa.md).
import { h, clear } from './dom.js';
import { fmtDate, t } from './i18n.js';
import { store, hasStore } from './db.js';
import { subscribe } from './sync.js';

const $ = (id) => document.getElementById(id);
const DAY = 86400000;
const PUSH_NOTE_KEY = 'hoso.pushNote';

let persisted = null; // unknown until keepStorage() answers
let installEvent = null; // Chromium's install prompt, kept for our own "Install" button
let expanded = false; // the person opened the Home Screen steps
let last = null; // the sync state last shown

export const isIOS = () => /iPhone|iPad|iPod/.test(navigator.userAgent)
  || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1); // iPadOS says "Mac"
const isAndroid = () => /Android/.test(navigator.userAgent);
export const backgroundSync = () => 'SyncManager' in window;
export const pushAvailable = () => 'PushManager' in window && 'Notification' in window && 'serviceWorker' in navigator;
// Opened from the Home Screen (or as an installed app): iOS keeps such an app's storage.
export function installed() {
  return navigator.standalone === true
    || ['standalone', 'fullscreen', 'minimal-ui'].some((m) => matchMedia(`(display-mode: ${m})`).matches);
}

// Asks the browser to keep the storage (granted silently or not at all in most browsers;
// WebKit has no such call). True when the data is kept.
export async function keepStorage() {
  const s = navigator.storage;
  try {
    if (s && s.persisted && (await s.persisted())) persisted = true;
    else if (s && s.persist) persisted = await s.persist();
    else persisted = false;
  } catch {
    persisted = false;
  }
  document.documentElement.dataset.storage = persisted ? 'kept' : 'best-effort';
  render();
  return persisted;
}

// The queue may be erased with the website's storage: not kept, and not on the Home Screen.
export const storageAtRisk = () => persisted === false && !installed();

function steps(keys) {
  return h('ol.steps', keys.map((k) => h('li', t(k))));
}

// How to add Hoso to the Home Screen on this phone: the browser's own prompt where there is one,
// otherwise the steps (the iPhone's, Android's, or both where we cannot tell).
export function installGuide() {
  if (installEvent) {
    return h('p', h('button.primary', { type: 'button', 'data-install': '', onclick: promptInstall }, t('device.install')));
  }
  const ios = [h('p.steps-for', t('device.on_iphone')),
    steps(['device.ios_step1', 'device.ios_step2', 'device.ios_step3', 'device.ios_step4']),
    h('p.muted', t('device.ios_own_storage'))];
  const android = [h('p.steps-for', t('device.on_android')), steps(['device.android_step1', 'device.android_step2'])];
  if (isIOS()) return h('div.install-guide', ios);
  if (isAndroid()) return h('div.install-guide', android);
  return h('div.install-guide', ios, android);
}

async function promptInstall() {
  const e = installEvent;
  if (!e) return;
  installEvent = null;
  await e.prompt();
  render();
}

// When the oldest change waiting was made (null when none): Safari's seven days count.
async function oldestSince() {
  if (!hasStore()) return null;
  const times = (await store().all('outbox')).map((m) => Date.parse(m.captured_at)).filter(Number.isFinite);
  return times.length ? new Date(Math.min(...times)) : null;
}

// Something is waiting only on this phone and will not go by itself right now.
const stuck = (s) => s && s.enabled && (s.waiting + s.dirty + (s.uploads || 0)) > 0
  && (s.offline || Boolean(s.error) || s.signedOut);

// The banner does not appear while the person is in a field of the form (content pushed down
// under their finger would make them tap the wrong thing): it comes on the next screen or the
// next sync attempt after they leave it. Once shown it stays current.
const typing = () => {
  const a = document.activeElement;
  return Boolean(a && a.closest('main') && a.matches('input, textarea, select, [contenteditable]'));
};
let drawing = 0;
let drawn = '';
async function render() {
  const el = $('device');
  if (!el) return;
  const s = last;
  const show = stuck(s) && (!backgroundSync() || storageAtRisk());
  if (show && el.hidden && typing()) return;
  const n = show ? s.waiting + s.dirty + (s.uploads || 0) : 0;
  const risk = storageAtRisk();
  // Redrawn only when what it says changes (the sync state changes often; focus must stay put).
  const key = JSON.stringify([show, n, risk, expanded, Boolean(installEvent), document.documentElement.lang]);
  if (key === drawn) return;
  drawn = key;
  const seq = ++drawing;
  if (!show) {
    el.hidden = true;
    clear(el);
    return;
  }
  const since = await oldestSince().catch(() => null);
  if (seq !== drawing) return;
  const guide = risk ? h('div', { id: 'device-guide', 'data-device': 'home-screen', hidden: !expanded && !installEvent },
    installGuide()) : null;
  clear(el).append(...[
    h('p', h('strong', t('device.only_here', { n })),
      since && Date.now() - since > DAY ? ` ${t('device.oldest', { date: fmtDate(since.toISOString()) })}` : ''),
    backgroundSync() ? null : h('p', { 'data-device': 'open-to-send' }, t('device.open_to_send')),
    risk ? h('p', { 'data-device': 'may-be-erased' }, t('device.may_be_erased')) : null,
    risk && !installEvent ? h('button.link', { type: 'button', 'aria-expanded': String(expanded), 'aria-controls': 'device-guide',
      onclick: () => { expanded = !expanded; render(); } }, t('device.how')) : null,
    guide].filter(Boolean));
  el.dataset.risk = risk ? 'erase' : 'none';
  el.setAttribute('aria-label', t('device.region'));
  el.hidden = false;
}

// The footer's hint where the browser shows no install prompt of its own (an iPhone never does).
function renderHint() {
  const el = $('install-hint');
  if (!el) return;
  clear(el);
  el.hidden = installed();
  if (el.hidden) return;
  el.append(h('summary', t('device.install_title')), installGuide());
  if (installEvent) el.open = true;
}

// Where the browser cannot receive push here, say where status changes appear instead (once).
export function explainNoPush() {
  if (pushAvailable()) return false;
  try {
    if (localStorage.getItem(PUSH_NOTE_KEY)) return true;
    localStorage.setItem(PUSH_NOTE_KEY, new Date().toISOString());
  } catch { /* private mode: explain again next time */ }
  const el = $('push-note');
  if (!el) return true;
  const ios = isIOS() && !installed();
  clear(el).append(...[h('p', t(ios ? 'device.no_push_ios' : 'device.no_push')),
    ios ? h('details', h('summary', t('device.install_title')), installGuide()) : null,
    h('button.link', { type: 'button', onclick: () => { el.hidden = true; } }, t('device.ok'))].filter(Boolean));
  el.hidden = false;
  return true;
}

// Called once at boot: follow the sync state and the language, ask to keep the storage.
export function mountDevice() {
  window.addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault(); // our button, in the words of the app, shows the browser's prompt
    installEvent = e;
    render();
    renderHint();
  });
  window.addEventListener('hashchange', () => render());
  window.addEventListener('appinstalled', () => { installEvent = null; render(); renderHint(); });
  // The language changed: say it again in the new one.
  new MutationObserver(() => { render(); renderHint(); })
    .observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  subscribe((s) => { last = s; render(); });
  renderHint();
  keepStorage();
}

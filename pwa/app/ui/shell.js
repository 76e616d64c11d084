// The frame around every screen: header, sync state, navigation, update banner, messages.
import { h, clear } from '../dom.js';
import { t, currentLang } from '../i18n.js';

const $ = (id) => document.getElementById(id);

// The sync state in words (never only a colour): offline / N waiting / syncing / all saved.
// Documents still uploading count as waiting: "all saved" only when every byte is on the server.
export function syncLabel(s) {
  const n = s.waiting + s.dirty + (s.uploads || 0);
  if (!s.enabled) return ['none', '']; // nobody signed in here yet (or an official): nothing to sync
  if (s.signedOut) return ['signed-out', t('sync.signed_out', { n })];
  if (s.offline) return ['offline', n ? t('sync.offline_waiting', { n }) : t('sync.offline_saved')];
  if (s.phase === 'syncing') return ['syncing', n ? t('sync.syncing_n', { n }) : t('sync.syncing')];
  if (s.error) return ['error', t('sync.error', { n })];
  if (s.uploads) return ['uploading', t('sync.uploading', { n: s.uploads })];
  if (n) return ['waiting', t('sync.waiting', { n })];
  return ['saved', t('sync.saved')];
}

// `subscribe`: sync.js's, which main.js loads after the first screen.
export function mountSync(subscribe) {
  subscribe((s) => {
    const el = $('sync');
    const [state, text] = syncLabel(s);
    el.dataset.state = state;
    el.dataset.waiting = String(s.waiting + s.dirty + (s.uploads || 0));
    if (el.textContent !== text) el.textContent = text;
  });
}

export function renderNav(user, counts = {}) {
  const nav = clear($('nav'));
  const link = (href, label, badge) => h('a', { href, 'data-nav': href },
    label, badge ? h('span.badge', { 'aria-label': t('nav.unread', { n: badge }) }, String(badge)) : null);
  const items = [];
  if (user && user.kind === 'official') {
    items.push(link('#/office', t('nav.office')), link('#/quality', t('nav.quality')));
  } else {
    items.push(link('#/', t('nav.catalog')), link('#/dossiers', t('nav.dossiers')));
    if (user) items.push(link('#/inbox', t('nav.inbox'), counts.unread), link('#/warehouse', t('nav.warehouse')));
    if (counts.conflicts) items.push(link('#/conflicts', t('nav.conflicts'), counts.conflicts));
  }
  items.push(user ? link('#/account', t('nav.account')) : link('#/login', t('nav.login')));
  nav.append(h('ul', items.map((a) => h('li', a))));
  markCurrent();
  const other = currentLang() === 'vi' ? 'en' : 'vi';
  $('lang').textContent = other.toUpperCase();
  $('lang').setAttribute('aria-label', other === 'en' ? 'English' : 'Tiếng Việt');
  $('lang').setAttribute('lang', other);
}

export function markCurrent() {
  const here = location.hash || '#/';
  for (const a of document.querySelectorAll('#nav a')) {
    const href = a.getAttribute('href');
    const on = href === '#/' ? here === '#/' || here.startsWith('#/p/') : here.startsWith(href);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  // A phone shows part of the navigation: keep the current screen's link in view.
  const cur = document.querySelector('#nav a[aria-current]');
  const bar = cur && cur.closest('ul');
  if (bar && bar.scrollWidth > bar.clientWidth) bar.scrollLeft = Math.max(0, cur.offsetLeft - (bar.clientWidth - cur.offsetWidth) / 2);
}

// What a queued change does next: goes now (online) or when the network is back.
export function queuedText() {
  return navigator.onLine ? t('editor.sending') : t('editor.queued');
}

let toastTimer = null;
// A short message read out by screen readers.
export function toast(text, kind = 'info') {
  const el = $('toast');
  el.dataset.kind = kind;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; el.textContent = ''; }, 6000);
}

// The update banner: a new version waits until the person taps "Update".
export function offerUpdate(apply) {
  const el = clear($('update'));
  el.append(h('p', t('update.ready')), h('button.primary', { type: 'button', onclick: () => { el.hidden = true; apply(); } }, t('update.apply')),
    h('button.link', { type: 'button', onclick: () => { el.hidden = true; } }, t('update.later')));
  el.hidden = false;
}

export function title(main, text, ...extra) {
  const h1 = h('h1', { tabindex: '-1' }, text);
  main.append(h1, ...extra.filter((x) => x !== null && x !== undefined && x !== false));
  return h1;
}

export function problemText(err) {
  if (!err) return '';
  if (err.offline) return t('error.offline');
  const body = err.body || err;
  const fieldMsgs = body.errors ? fieldMessages(body.errors).join(' ') : '';
  return [body.detail || body.title || err.message, fieldMsgs].filter(Boolean).join(' ');
}

// Field messages at any depth ({"result": {"number": ["…"]}}), each once.
function fieldMessages(errors) {
  if (typeof errors === 'string') return [errors];
  const found = Array.isArray(errors) ? errors.flatMap(fieldMessages)
    : errors && typeof errors === 'object' ? Object.values(errors).flatMap(fieldMessages) : [];
  return [...new Set(found)];
}

// Texts in Vietnamese (default) and English. UI texts come from /i18n/<lang>.json; the
// validation messages from /i18n/messages.json, which the server generates from its own texts.
let lang = 'vi';
let texts = {};
let messages = {};

export function currentLang() { return lang; }

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

export async function setLang(next) {
  lang = next === 'en' ? 'en' : 'vi';
  texts = await fetchJson(`/i18n/${lang}.json`);
  document.documentElement.lang = lang;
  // The page's own words outside the screens follow the language too.
  const skip = document.querySelector('a.skip');
  if (skip) skip.textContent = t('app.skip');
  const nav = document.getElementById('nav');
  if (nav) nav.setAttribute('aria-label', t('nav.label'));
  document.title = t('app.title');
  const ready = document.getElementById('offline-ready');
  if (ready && document.documentElement.dataset.offlineReady) ready.textContent = t('app.offline_ready');
  try { localStorage.setItem('hoso.lang', lang); } catch { /* private mode */ }
}

export function initialLang() {
  try { return localStorage.getItem('hoso.lang') || 'vi'; } catch { return 'vi'; }
}

// Same placeholder syntax as Python's str.format for named fields: {name}.
export function format(text, params) {
  return params ? text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m)) : text;
}

// `{n}` of one takes the key's `_one` form where the language has one ("1 working day").
export function t(key, params) {
  const one = params && params.n === 1 && texts[`${key}_one`];
  return format(one || (texts[key] ?? key), params);
}

// A validation message: the server's text for `key` in the current (or given) language.
export function message(key, params, language = lang) {
  const entry = messages[key];
  if (!entry) return key;
  return format(entry[language] || entry.vi, params);
}

export function setMessages(m) { messages = m; }

// The validation messages (both languages), needed only where a form is shown.
let loadingMessages = null;
export function loadMessages() {
  if (!loadingMessages) {
    loadingMessages = fetchJson('/i18n/messages.json').then((m) => { messages = m; })
      .catch((e) => { loadingMessages = null; throw e; });
  }
  return loadingMessages;
}

// A localised {"vi": …, "en": …} object from the catalog.
export function loc(text) {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return text[lang] || text.vi || Object.values(text)[0] || '';
}

export function fmtDate(iso) {
  if (!iso) return '';
  const d = iso.length === 10 ? new Date(`${iso}T00:00:00`) : new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // dd/mm/yyyy in both languages (the way Vietnamese papers write it), whatever the browser's locale.
  const day = { day: '2-digit', month: '2-digit', year: 'numeric' };
  const opts = iso.length === 10 ? day : { ...day, hour: '2-digit', minute: '2-digit', hour12: false };
  return new Intl.DateTimeFormat('en-GB', opts).format(d).replace(',', '');
}

export function fmtMoney(amount, currency = 'VND') {
  if (!amount) return t('fee.free');
  return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'vi-VN', { style: 'currency', currency }).format(amount);
}

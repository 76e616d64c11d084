// The API client: JSON over fetch, the Bearer token, and a refresh when it expired.
// Tokens live in IndexedDB so a phone offline for weeks refreshes on reconnect; if the
// refresh token is dead the person signs in again and their queue is still there.
import { device } from './db.js';
import { currentLang } from './i18n.js';

let session = null; // {access_token, refresh_token, user}
const listeners = new Set();

export class NetworkError extends Error {
  constructor(cause) { super('offline'); this.offline = true; this.cause = cause; }
}
export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}
export class SignedOut extends Error {
  constructor() { super('signed out'); this.signedOut = true; }
}

export async function loadSession() {
  session = (await device.get('kv', 'session')) || null;
  return session;
}
export function currentUser() { return session && session.user; }
export function hasTokens() { return Boolean(session && session.refresh_token); }
export function onSession(fn) { listeners.add(fn); return () => listeners.delete(fn); }

async function saveSession(next) {
  session = next;
  if (next) await device.put('kv', next, 'session');
  else await device.del('kv', 'session');
  if (next && next.user) await device.put('kv', next.user, 'last_user');
  for (const fn of listeners) fn(session);
}

async function raw(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: 'application/json', 'Accept-Language': currentLang(), ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new NetworkError(e);
  }
  const text = await resp.text().catch(() => '');
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 200) }; }
  }
  return { status: resp.status, ok: resp.ok, data, headers: resp.headers };
}

let refreshing = null;

// One refresh at a time, across tabs too (Web Locks): a refresh token used twice is a theft signal.
export function refresh() {
  if (!refreshing) {
    const used = session && session.refresh_token;
    const run = async () => {
      const stored = await device.get('kv', 'session');
      if (stored && stored.refresh_token !== used) { session = stored; return true; } // another tab did it
      if (!used) return false;
      const r = await raw('POST', '/api/v1/auth/refresh', { refresh_token: used });
      if (r.ok) {
        await saveSession({ ...r.data, user: r.data.user || (session && session.user) });
        return true;
      }
      if (r.status >= 500) throw new ApiError(r.status, r.data);
      await saveSession({ ...session, access_token: null, refresh_token: null });
      return false;
    };
    const p = navigator.locks ? navigator.locks.request('hoso-refresh', run) : run();
    refreshing = p.finally(() => { refreshing = null; });
  }
  return refreshing;
}

// fetch JSON with auth; returns {status, ok, data}. Throws NetworkError, SignedOut, or
// ApiError for 4xx/5xx unless `expect` lists the status.
export async function request(method, path, { body, auth = true, expect = [] } = {}) {
  const call = () => raw(method, path, body, auth && session && session.access_token
    ? { Authorization: `Bearer ${session.access_token}` } : {});
  if (auth && !(session && (session.access_token || session.refresh_token))) throw new SignedOut();
  if (auth && !session.access_token && !(await refresh())) throw new SignedOut();
  let r = await call();
  if (r.status === 401 && auth) {
    if (!(await refresh())) throw new SignedOut();
    r = await call();
    if (r.status === 401) throw new SignedOut();
  }
  if (!r.ok && !expect.includes(r.status)) throw new ApiError(r.status, r.data);
  return r;
}

// A raw authenticated request (tus uploads: binary bodies, protocol headers); same token
// refresh as `request`. Resolves with the Response whatever its status; throws NetworkError.
export async function send(method, path, headers = {}, body = undefined) {
  const call = async () => {
    const auth = session && session.access_token ? { Authorization: `Bearer ${session.access_token}` } : {};
    try {
      return await fetch(path, { method, headers: { 'Accept-Language': currentLang(), ...headers, ...auth }, body });
    } catch (e) {
      throw new NetworkError(e);
    }
  };
  if (!(session && (session.access_token || session.refresh_token))) throw new SignedOut();
  if (!session.access_token && !(await refresh())) throw new SignedOut();
  let r = await call();
  if (r.status === 401) {
    if (!(await refresh())) throw new SignedOut();
    r = await call();
    if (r.status === 401) throw new SignedOut();
  }
  return r;
}

export const get = (path, opts) => request('GET', path, opts).then((r) => r.data);
export const post = (path, body, opts) => request('POST', path, { ...opts, body }).then((r) => r.data);

// A device that signed in to an account before sends its token back: guesses made elsewhere
// then never delay it (the server keeps a budget per device).
const deviceKey = (loginName) => `device_token:${String(loginName).trim().toLowerCase()}`;

async function signedInWith(loginName, data) {
  if (data.device_token) await device.put('kv', data.device_token, deviceKey(loginName));
  await saveSession(data);
  return data.user;
}

export async function login(loginName, password) {
  const token = await device.get('kv', deviceKey(loginName)).catch(() => null);
  const body = { login: loginName, password };
  if (token) body.device_token = token;
  const r = await raw('POST', '/api/v1/auth/login', body);
  if (!r.ok) throw new ApiError(r.status, r.data);
  return signedInWith(loginName, r.data);
}

// Sign-up sends a code by SMS; `verifyCode` with it signs the new account in.
export async function register(fields) {
  const r = await raw('POST', '/api/v1/auth/register', fields);
  if (!r.ok) throw new ApiError(r.status, r.data);
  return r.data;
}

export async function verifyCode(loginName, code) {
  const r = await raw('POST', '/api/v1/auth/verify', { login: loginName, code });
  if (!r.ok) throw new ApiError(r.status, r.data);
  return signedInWith(loginName, r.data);
}

export async function resetStart(loginName) {
  const r = await raw('POST', '/api/v1/auth/password-reset', { login: loginName });
  if (!r.ok) throw new ApiError(r.status, r.data);
  return r.data;
}

export async function resetConfirm(loginName, code, password) {
  const r = await raw('POST', '/api/v1/auth/password-reset/confirm', { login: loginName, code, password });
  if (!r.ok) throw new ApiError(r.status, r.data);
  return signedInWith(loginName, r.data);
}

// The server's own strength rule (zxcvbn), so the phone shows exactly its message.
export async function passwordCheck(fields) {
  const r = await raw('POST', '/api/v1/auth/password-check', fields);
  return r.ok ? r.data : null;
}

// Development only: the text messages the server kept instead of sending them.
export async function devOutbox(to) {
  const r = await raw('GET', `/api/v1/auth/dev-outbox?to=${encodeURIComponent(to)}`);
  return r.ok ? r.data.messages : [];
}

export async function logout() {
  if (session && session.access_token) {
    await raw('POST', '/api/v1/auth/logout', { refresh_token: session.refresh_token },
      { Authorization: `Bearer ${session.access_token}` }).catch(() => {});
  }
  await saveSession(null);
}

// The person who last used the phone, even when their tokens are gone (their queue stays).
export async function lastUser() {
  return (session && session.user) || (await device.get('kv', 'last_user')) || null;
}

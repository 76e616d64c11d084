// This phone's signing key: a non-extractable ECDSA P-256 key made with WebCrypto at sign-in,
// its public half registered with the server; `dossier.submit` carries a signature over the
// canonical form of what the citizen submits (docs/results.md). A phone without WebCrypto
// (or offline at sign-in, until it is online again) submits unsigned; the desk says so.
import * as api from './api.js';
import { store } from './db.js';

const ALGO = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

export const hasWebCrypto = () => Boolean(globalThis.crypto && crypto.subtle && window.isSecureContext);

// JSON with keys sorted at every level, no whitespace: the same bytes as the server's
// json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

export function canonicalForm(dossierId, fields, documents, capturedAt) {
  const kept = Object.fromEntries(Object.entries(fields || {}).filter(([, v]) => v !== null && v !== undefined));
  return canonicalJson({ captured_at: capturedAt, documents, dossier_id: String(dossierId).toLowerCase(), fields: kept });
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// A short name for this phone shown to officials, e.g. "Chrome 156 · Android".
function deviceLabel() {
  const d = navigator.userAgentData;
  if (d && d.brands && d.brands.length) {
    const real = d.brands.filter((x) => !/Not.?A.?Brand/i.test(x.brand));
    const b = real.find((x) => x.brand !== 'Chromium') || real[0] || d.brands[0];
    return `${b.brand} ${b.version} · ${d.platform || ''}`.trim();
  }
  const ua = navigator.userAgent;
  const browser = (ua.match(/(Firefox|Edg|SamsungBrowser|Chrome|Version)\/(\d+)/) || []).slice(1).join(' ');
  const os = (ua.match(/(Android [\d.]+|iPhone OS [\d_]+|Windows NT [\d.]+|Mac OS X [\d_]+|Linux)/) || [''])[0];
  return `${browser.replace('Version', 'Safari')} · ${os.replace(/_/g, '.')}`.slice(0, 200);
}

// Makes and registers the key once per person on this phone; quietly does nothing without
// WebCrypto or a network (it is tried again at the next submission).
export async function ensureDeviceKey() {
  if (!hasWebCrypto()) return null;
  const s = store();
  const have = await s.get('kv', 'device_key');
  if (have && have.key_id) return have;
  let pair = have && have.privateKey ? have : null;
  if (!pair) {
    const keys = await crypto.subtle.generateKey(ALGO, false, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
    pair = { privateKey: keys.privateKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
    await s.put('kv', pair, 'device_key');
  }
  try {
    const made = await api.post('/api/v1/devices/keys', { public_key: pair.jwk, label: deviceLabel() });
    const registered = { ...pair, key_id: made.id };
    await s.put('kv', registered, 'device_key');
    return registered;
  } catch {
    return null; // offline or signed out: unsigned this time, registered later
  }
}

// The `device_signature` of a submission, or null (no WebCrypto, no registered key).
// `documents`: {code: sha256 hex of the file this phone uploaded, or null}.
export async function signSubmission(dossierId, fields, documents) {
  const key = await ensureDeviceKey().catch(() => null);
  if (!key) return null;
  const capturedAt = new Date().toISOString();
  const bytes = new TextEncoder().encode(canonicalForm(dossierId, fields, documents, capturedAt));
  const signature = await crypto.subtle.sign(SIGN, key.privateKey, bytes);
  return { key_id: key.key_id, captured_at: capturedAt, documents, signature: b64url(signature) };
}

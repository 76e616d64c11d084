/* Hoso service worker: a classic script, or the body of the module worker sw-sync.js where the
   browser has Background Sync. The server writes `self.SHELL_VERSION = "…"` above this
   line: the hash of every shell file's hash, so any change to the shell installs a new worker. */
/* global SHELL_VERSION */
'use strict';

try {
  importScripts('/sw-push.js'); // Web Push listeners (sw-sync.js, a module worker, imports them)
} catch (e) {
  // A module worker cannot importScripts; without the push file everything else still works.
}

const VERSION = self.SHELL_VERSION || 'dev';
const SHELL = `shell-${VERSION}`;
const DATA = 'data-v1';
const MANIFEST_KEY = '/__asset-manifest';
const FORM_RE = /^\/api\/v1\/procedures\/[^/]+\/forms\/\d+$/;
const CATALOG_RE = /^\/api\/v1\/procedures(\/[^/]+)?$/;
// Longest wait for one background download (a revalidation, a prefetched form) on a bad network.
const BACKGROUND_FETCH_MS = 20000;

async function sha256(buf) {
  const d = await crypto.subtle.digest('SHA-256', buf);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Previous shells' hashes, so an update copies unchanged files instead of downloading them.
async function previousFiles() {
  const found = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('shell-') || name === SHELL) continue;
    const cache = await caches.open(name);
    const m = await cache.match(MANIFEST_KEY);
    if (m) found.push({ cache, files: (await m.json()).files || {} });
  }
  return found;
}

// The page itself was loaded as `/`: the same bytes as `/index.html`.
const LOADED_AS = { '/index.html': '/' };

// One file of the shell, checked against its hash. On a first visit the page has just fetched
// most of them, so the browser's HTTP cache is asked first without going to the server
// ('only-if-cached': a file not held there is not fetched by this step, so it is fetched once,
// below, and counted); a copy whose hash does not match (an older file) is fetched again.
async function download(url, hash) {
  for (const source of [LOADED_AS[url], url]) {
    if (!source) continue;
    const held = await fetch(source, { cache: 'only-if-cached', mode: 'same-origin' }).catch(() => null);
    if (held && held.ok && held.status === 200) {
      const body = await held.clone().arrayBuffer();
      if ((await sha256(body)) === hash) return { response: held, fetched: false };
    }
  }
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  const body = await r.clone().arrayBuffer();
  if ((await sha256(body)) !== hash) throw new Error(`${url}: changed during install`);
  return { response: r, fetched: true };
}

async function installShell() {
  const resp = await fetch('/asset-manifest.json', { cache: 'no-store' });
  if (!resp.ok) throw new Error(`asset manifest: ${resp.status}`);
  const manifest = await resp.json();
  const cache = await caches.open(SHELL);
  const old = await previousFiles();
  let downloaded = 0;
  await Promise.all(Object.entries(manifest.files).map(async ([url, hash]) => {
    if (await cache.match(url)) return;
    for (const prev of old) {
      if (prev.files[url] === hash) {
        const hit = await prev.cache.match(url);
        if (hit) { await cache.put(url, hit); return; }
      }
    }
    const { response, fetched } = await download(url, hash);
    if (fetched) downloaded += 1;
    await cache.put(url, response);
  }));
  await cache.put(MANIFEST_KEY, new Response(JSON.stringify({ ...manifest, downloaded }),
    { headers: { 'Content-Type': 'application/json' } }));
}

self.addEventListener('install', (event) => {
  // No skipWaiting here: a new version waits until the person taps "Update" (never mid-draft).
  event.waitUntil(installShell());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('shell-') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type === 'skip-waiting') self.skipWaiting();
  if (msg.type === 'prefetch') event.waitUntil(prefetch(msg.urls || [], event.source));
  if (msg.type === 'version' && event.source) {
    event.waitUntil(caches.open(SHELL).then((c) => c.match(MANIFEST_KEY)).then((m) => (m ? m.json() : {}))
      .then((m) => event.source.postMessage({ type: 'version', version: VERSION, downloaded: m.downloaded })));
  }
});

// Caches form versions (immutable) and catalog pages the app will need offline.
async function prefetch(urls, source) {
  const cache = await caches.open(DATA);
  let failed = 0;
  for (const url of urls) {
    if (FORM_RE.test(new URL(url, self.location).pathname) && (await cache.match(url))) continue;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(BACKGROUND_FETCH_MS) });
      if (r.ok) await cache.put(url, r);
      else failed += 1;
    } catch (e) {
      failed += 1;
    }
  }
  if (source) source.postMessage({ type: 'prefetched', count: urls.length, failed });
}

async function cacheFirst(request) {
  const cache = await caches.open(DATA);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const r = await fetch(request);
  if (r.ok) await cache.put(request, r.clone());
  return r;
}

// The catalog: the cached copy at once while the network revalidates it (ETag, 304) for next
// time, as its `stale-while-revalidate` allows; the network when nothing is cached yet.
async function staleWhileRevalidate(event) {
  const cache = await caches.open(DATA);
  const hit = await cache.match(event.request, { ignoreVary: true });
  // A revalidation behind a cached answer gives up after a while: until it ends, this worker
  // is busy, and a new version the person asked for cannot take over.
  const limit = hit ? { signal: AbortSignal.timeout(BACKGROUND_FETCH_MS) } : {};
  const network = fetch(event.request, limit).then(async (r) => {
    if (r.ok) await cache.put(event.request, r.clone());
    return r;
  });
  if (hit) {
    event.waitUntil(network.catch(() => {}));
    return hit;
  }
  return network;
}

async function shellFirst(request, url) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(url);
  return hit || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // Opening an API address (the API docs, a document's download), a document's public
  // verification page, a share link or the sandbox payment gateway's pages must reach the server.
  if (/^\/(verify|s|payos-sandbox)\//.test(url.pathname)) return;
  if (req.mode === 'navigate' && !url.pathname.startsWith('/api/')) {
    event.respondWith(shellFirst(req, '/index.html').catch(() => fetch(req)));
    return;
  }
  if (FORM_RE.test(url.pathname)) { event.respondWith(cacheFirst(req)); return; }
  if (CATALOG_RE.test(url.pathname)) { event.respondWith(staleWhileRevalidate(event)); return; }
  if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js' || url.pathname === '/asset-manifest.json') return;
  event.respondWith(caches.open(SHELL).then((c) => c.match(url.pathname)).then((hit) => hit || fetch(req)));
});

// Background Sync: an open page sends its own queue, so wake it; with no page open, the module
// worker (sw-sync.js) sends the queue itself. A page that was just closed can still be listed
// while it goes away, so a page must answer that it took the sync; if none does within a few
// seconds, the worker sends (the server applies each mutation once either way). Rejecting makes
// the browser try again later.
function pageTakesSync(clients) {
  if (!clients.length) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 3000);
    for (const c of clients) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { clearTimeout(timer); resolve(true); };
      c.postMessage({ type: 'sync' }, [channel.port2]);
    }
  });
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'hoso-sync') return;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: 'window' });
    if (await pageTakesSync(clients)) return;
    if (self.hosoSendQueue) await self.hosoSendQueue();
  })());
});

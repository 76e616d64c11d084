// The page's side of the service worker, loaded after the first screen: registration, the
// update offer, messages from the worker, and the offline-ready prefetch (catalog, every form
// version, code tables) that makes the whole app work with no network after one visit.
import { getCatalog } from './catalog.js';
import { syncCodeTables } from './code_tables.js';
import { t } from './i18n.js';
import { offerUpdate } from './ui/shell.js';

// Every URL the app needs offline: the catalog, each procedure and each form version.
function offlineUrls(items) {
  const urls = ['/api/v1/procedures'];
  for (const p of items) {
    urls.push(`/api/v1/procedures/${encodeURIComponent(p.code)}`);
    for (const v of p.versions || [{ version: p.current_version }]) {
      urls.push(`/api/v1/procedures/${encodeURIComponent(p.code)}/forms/${v.version}`);
    }
  }
  return urls;
}

// Asks the worker to cache them; resolves when it is done (or at once without a worker).
async function prefetchAll() {
  const items = await getCatalog();
  if (!('serviceWorker' in navigator)) return false;
  const reg = await navigator.serviceWorker.ready;
  const worker = reg.active;
  if (!worker) return false;
  return new Promise((resolve) => {
    const onMsg = (e) => {
      if (e.data && e.data.type === 'prefetched') {
        navigator.serviceWorker.removeEventListener('message', onMsg);
        resolve(e.data.failed === 0);
      }
    };
    navigator.serviceWorker.addEventListener('message', onMsg);
    worker.postMessage({ type: 'prefetch', urls: offlineUrls(items) });
  });
}

// `saveOpenWork`: saves the open screen's draft before an update reloads the page;
// `onPush`: a push arrived.
export async function setupWorker({ saveOpenWork, onPush }) {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.startMessages();
  let updating = false;
  let reloading = false;
  const reloadOnce = () => { if (!reloading) { reloading = true; location.reload(); } };
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (updating) reloadOnce(); // only after the person tapped "Update" (drafts are saved)
  });
  // A push arrived: pull now, so the inbox and the dossier are current when the person looks.
  // A tap on the notification in the service worker asks an open window to go to the dossier.
  navigator.serviceWorker.addEventListener('message', (event) => {
    const msg = event.data || {};
    if (msg.type === 'hoso:push') onPush();
    if (msg.type === 'hoso:open' && typeof msg.url === 'string' && msg.url.startsWith('/#/')) {
      location.hash = msg.url.slice(1);
    }
  });
  // Where Background Sync exists, the module worker that can send the queue with no page open.
  const reg = 'SyncManager' in window
    ? await navigator.serviceWorker.register('/sw-sync.js', { scope: '/', type: 'module' })
    : await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const offer = (worker) => offerUpdate(async () => {
    updating = true;
    try {
      await saveOpenWork(); // save the open draft first
    } catch (err) {
      console.error('saving the open draft before the update', err); // typed values are saved as typed
    }
    // Reload once the new version is in charge: on `controllerchange`, or when the new worker
    // itself says it is active (it may have taken over before the tap, unseen by this page).
    // Not before: while the old worker is busy a reloaded page would be served by neither
    // worker, which offline is the browser's error page.
    worker.addEventListener('statechange', () => { if (worker.state === 'activated') reloadOnce(); });
    if (worker.state === 'activated') { reloadOnce(); return; }
    worker.postMessage({ type: 'skip-waiting' });
  });
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    w.addEventListener('statechange', () => {
      if (w.state === 'installed' && navigator.serviceWorker.controller) offer(w);
    });
  });
  setInterval(() => reg.update().catch(() => {}), 30 * 60 * 1000);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') reg.update().catch(() => {}); });
}

// Everything the app needs offline is cached: the shell (the worker's precache), the catalog,
// every form version, the code tables. Says so at the foot of the page.
export async function offlineReady() {
  try {
    await getCatalog();
    // The code tables the forms' selects list are kept with the catalog (refreshed by ETag).
    const ok = (await prefetchAll()) && (await syncCodeTables().catch(() => false));
    if (ok) {
      document.documentElement.dataset.offlineReady = '1';
      document.getElementById('offline-ready').textContent = t('app.offline_ready');
    }
  } catch { /* offline on first load: try again next time */ }
}

// Boot: language, session, the person's store, the router, the service worker, sync.
import * as api from './api.js';
import { device, userStore, hasStore, store } from './db.js';
import { h, clear } from './dom.js';
import { allTexts, initialLang, setLang, t } from './i18n.js';
import { markCurrent, mountSync, problemText, renderNav, toast } from './ui/shell.js';

// Screens load on first use (the catalog's is preloaded): a first visit on a slow network
// fetches only what the home screen needs. Sync (and its outbox), the device banners, the
// code tables, telemetry and the service worker's page side load after the first screen: a
// first visit has nothing to sync (docs/pwa.md "Loading").
const loadSync = () => import('./sync.js');
// The first screens need only the first share of the texts (i18n.js); any other waits for all.
const FIRST_SCREENS = new Set(['/', '/welcome']);
const syncCodeTables = () => import('./code_tables.js').then((m) => m.syncCodeTables());
const screen = (path, name) => () => import(path).then((m) => m[name]);
const ROUTES = [
  [/^\/$/, screen('./ui/catalog.js', 'renderCatalog')],
  [/^\/p\/([\w-]+)$/, screen('./ui/procedure.js', 'renderProcedure'), ['code']],
  [/^\/p\/([\w-]+)\/start$/, screen('./ui/procedure.js', 'renderStart'), ['code'], true],
  [/^\/d\/([\w-]+)\/edit$/, screen('./ui/editor.js', 'renderEditor'), ['id'], true],
  [/^\/d\/([\w-]+)$/, screen('./ui/dossiers.js', 'renderDossier'), ['id'], true],
  [/^\/dossiers$/, screen('./ui/dossiers.js', 'renderDossiers'), [], true],
  [/^\/inbox$/, screen('./ui/dossiers.js', 'renderInbox'), [], true],
  [/^\/conflicts$/, screen('./ui/conflicts.js', 'renderConflicts'), [], true],
  [/^\/warehouse$/, screen('./ui/warehouse.js', 'renderWarehouse'), [], true],
  [/^\/login$/, screen('./ui/auth.js', 'renderLogin')],
  [/^\/signup$/, screen('./ui/auth.js', 'renderSignup')],
  [/^\/verify$/, screen('./ui/auth.js', 'renderVerify')],
  [/^\/reset$/, screen('./ui/auth.js', 'renderReset')],
  [/^\/account$/, screen('./ui/auth.js', 'renderAccount')],
  [/^\/office$/, screen('./ui/office.js', 'renderOffice')],
  [/^\/office\/payments$/, screen('./ui/office_payments.js', 'renderOfficePayments')],
  [/^\/office\/reports$/, screen('./ui/office_reports.js', 'renderOfficeReports')],
  [/^\/office\/print\/(receipt|refusal|supplement|apology)$/, screen('./ui/office_print.js', 'renderOfficePrint'), ['kind']],
  [/^\/quality$/, screen('./ui/quality.js', 'renderQuality')],
  [/^\/office\/([\w-]+)$/, screen('./ui/office_dossier.js', 'renderOfficeDossier'), ['id']],
  [/^\/view\/(upload|record|issued)\/([\w-]+)$/, screen('./ui/viewer.js', 'renderViewer'), ['kind', 'id'], true],
  [/^\/welcome$/, screen('./ui/intro.js', 'renderIntro')],
];
const openConflicts = (all) => all.filter((c) => !c.resolved_at && !c.local_choice);

let cleanup = null;
let renderSeq = 0;

const app = {
  async signedIn(user) {
    await openUser(user);
    renderNav(user, await counts());
    if (user.kind !== 'official') {
      (await loadSync()).start();
      // This phone's signing key, made and registered at sign-in (docs/results.md).
      import('./devicekey.js').then((m) => m.ensureDeviceKey()).catch(() => {});
    }
    const next = new URLSearchParams(location.hash.split('?')[1] || '').get('next');
    location.hash = user.kind === 'official' ? '#/office' : next || '#/dossiers';
  },
  async signedOut() {
    (await loadSync()).stop();
    renderNav(null);
    location.hash = '#/login';
  },
  async waitingFor(user) {
    userStore(user.id);
    return store().count('outbox');
  },
};

async function openUser(user) {
  if (!user) return;
  userStore(user.id);
  await (await import('./outbox.js')).clientId();
  await device.put('kv', user, 'last_user');
}

async function counts() {
  if (!hasStore()) return {};
  const [notes, conflicts] = await Promise.all([store().all('notifications'), store().all('conflicts')]);
  return { unread: notes.filter((n) => !n.read_at).length, conflicts: openConflicts(conflicts).length };
}

async function route() {
  const seq = ++renderSeq;
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  if (!path.startsWith('/')) return; // an in-page anchor such as the skip link
  // Links made before the route table (app/services/links.py) said #/dossiers/<id>.
  const legacy = /^\/dossiers\/([\w-]+)$/.exec(path);
  if (legacy) { location.replace(`#/d/${legacy[1]}`); return; }
  // A newcomer's first visit starts with what Hoso is (once per phone, never for someone known).
  if (path === '/' && !hasStore() && !localStorage.getItem('hoso.introSeen')) { location.replace('#/welcome'); return; }
  if (cleanup) { const c = cleanup; cleanup = null; await c(); }
  const main = document.getElementById('main');
  const focused = document.activeElement && document.activeElement.id;
  const sameRoute = main.dataset.path === path;
  for (const [re, load, names = [], needsUser] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    if (needsUser && !hasStore()) { location.hash = `#/login?next=${encodeURIComponent(`#${path}`)}`; return; }
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    params.query = query;
    const next = document.createElement('div');
    let release = null; // what this screen undoes when left (listeners, saving open work)
    try {
      const [render] = await Promise.all([load(), FIRST_SCREENS.has(path) ? null : allTexts()]);
      release = (await render(next, params, app)) || null;
    } catch (err) {
      clear(next).append(h('h1', { tabindex: '-1' }, t('error.title')), h('p', { role: 'alert' }, problemText(err)));
    }
    // A newer navigation won: this screen is never shown, so it is left at once. Kept, its
    // listeners would redraw the screen shown instead, wiping what the person types there.
    if (seq !== renderSeq) { if (release) await release(); return; }
    cleanup = release;
    clear(main).append(...next.childNodes);
    main.dataset.path = path;
    markCurrent();
    // Focus: the heading of a new screen; the same control when the screen only refreshed.
    const again = sameRoute && focused && document.getElementById(focused);
    if (again) again.focus();
    else if (!sameRoute) { const h1 = main.querySelector('h1'); if (h1) h1.focus({ preventScroll: false }); }
    return;
  }
  clear(main).append(h('h1', { tabindex: '-1' }, t('error.not_found')), h('a', { href: '#/' }, t('nav.catalog')));
}

async function offerPushOnce() {
  if ((await import('./device.js')).explainNoPush()) return; // no push here (an iPhone outside the Home Screen): say where news appears
  if (localStorage.getItem('hoso.pushOffered')) return;
  localStorage.setItem('hoso.pushOffered', '1');
  try {
    const mod = await import('./push.js');
    // Say what happened either way: a tap on "Turn on" must not end in silence.
    const outcome = await mod.offerPush(api);
    if (outcome === 'subscribed') toast(t('push.on'));
    else if (outcome === 'denied') toast(t('push.denied'), 'warn');
  } catch { toast(t('push.error'), 'warn'); }
}

async function boot() {
  await setLang(initialLang(), { first: true });
  const session = await api.loadSession();
  const user = (session && session.user) || (await api.lastUser());
  if (user) await openUser(user);
  renderNav(session && session.user, await counts());
  document.getElementById('lang').addEventListener('click', async () => {
    await setLang(document.documentElement.lang === 'vi' ? 'en' : 'vi');
    renderNav(api.currentUser(), await counts());
    loadSync().then((sync) => sync.refreshCount());
    if (api.currentUser()) api.request('PATCH', '/api/v1/auth/me', { body: { language: document.documentElement.lang } }).catch(() => {});
    route();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('hoso:rerender', route);
  const refreshNav = async () => renderNav(api.currentUser() || (hasStore() ? await api.lastUser() : null), await counts());
  window.addEventListener('hoso:counts', refreshNav);
  window.addEventListener('hoso:data', (e) => {
    refreshNav();
    // Signed receipts and results of the dossiers that changed: kept on the phone for offline.
    if ((e.detail.dossiers || []).length && navigator.onLine) {
      import('./results.js').then((m) => m.prefetchChanged(e.detail.dossiers)).catch(() => {});
    }
    if (e.detail.submitted) offerPushOnce();
  });
  api.onSession((s) => { if (s && !s.access_token && !s.refresh_token) toast(t('auth.expired'), 'warn'); });
  await route();
  // The service worker (its precache reuses what this page fetched), after the first screen.
  import('./worker_client.js').then((m) => m.setupWorker({
    saveOpenWork: async () => { if (cleanup) { const c = cleanup; cleanup = null; await c(); } },
    onPush: () => loadSync().then((sync) => sync.syncNow('push')),
  }).then(m.offlineReady)).catch(() => {});
  await allTexts().catch(() => {}); // offline with nothing cached: the first screen's texts stay
  window.addEventListener('online', () => syncCodeTables().catch(() => {})); // a table updated meanwhile
  const sync = await loadSync();
  mountSync(sync.subscribe);
  // Asks to keep the storage; the banner while something waits only on the phone.
  import('./device.js').then((m) => m.mountDevice()).catch(() => {});
  if (user && user.kind !== 'official') sync.start();
  import('./telemetry.js').then((m) => m.init()).catch(() => {});
  window.__hoso = { sync, api, store: () => store() };
}

boot();

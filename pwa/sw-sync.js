/* Hoso service worker where the browser has Background Sync (registered as a module worker by
   app/main.js): everything pwa/sw.js does, the Web Push listeners, and the queue sent by the
   worker itself when the connection returns while no page of the app is open. */
import './sw.js';
import './sw-push.js';
import { lastUser, loadSession } from './app/api.js';
import { sendInBackground } from './app/sync.js';

// The worker's own sync (no page took it in time: a busy phone answers late) tells its news
// here; a page still open redraws with it as after its own sync (app/sync.js passes it on).
self.addEventListener('hoso:data', (event) => {
  self.clients.matchAll({ type: 'window' })
    .then((pages) => pages.forEach((p) => p.postMessage({ type: 'hoso:data', detail: event.detail })))
    .catch(() => {});
});

// sw.js calls this from its `sync` event when there is no window to wake.
self.hosoSendQueue = async () => {
  await loadSession(); // the page may have refreshed the tokens since the worker started
  const user = await lastUser();
  if (!user) return;
  try {
    await sendInBackground(user);
  } catch (err) {
    if (err && err.signedOut) return; // the person signs in again; the queue waits for them
    throw err; // offline or a server error: the browser fires `sync` again later
  }
};

/* Web Push for the Hoso service worker: a classic script that pwa/sw.js loads with
   importScripts('/sw-push.js'), and that the module worker pwa/sw-sync.js imports. Shows the
   status update the server pushed (title, body, one notification per dossier) and opens that
   dossier when the citizen taps it. */
'use strict';

(() => {
  const ICON = '/icons/icon-192.png';

  // The screen to open is the `url` the server built from its route table
  // (app/services/links.py); only ever a page of this app, whatever the payload says.
  function targetUrl(data) {
    try {
      const url = new URL(data.url || '/#/inbox', self.location.origin);
      if (url.origin === self.location.origin) return url.pathname + url.search + url.hash;
    } catch (e) { /* fall through */ }
    return '/#/inbox';
  }

  function readPayload(event) {
    if (!event.data) return {};
    try {
      return event.data.json() || {};
    } catch (e) {
      return { body: event.data.text() };
    }
  }

  async function show(data) {
    const tag = data.tag || (data.dossier_id ? `dossier-${data.dossier_id}` : 'hoso');
    // Same tag: the newer update replaces the older one. Alert again only for a new
    // notification, not for a copy of the one already shown (a re-sent message).
    const shown = await self.registration.getNotifications({ tag });
    const fresh = !shown.some((n) => n.data && data.notification_id
      && n.data.notification_id === data.notification_id);
    await self.registration.showNotification(data.title || 'Hồ sơ', {
      body: data.body || '',
      icon: ICON,
      badge: ICON,
      tag,
      renotify: fresh && shown.length > 0,
      data: { url: targetUrl(data), dossier_id: data.dossier_id || null,
              notification_id: data.notification_id || null },
    });
    // Open pages refresh their data now rather than at the next sync.
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      client.postMessage({ type: 'hoso:push', dossier_id: data.dossier_id || null,
                           notification_id: data.notification_id || null });
    }
  }

  self.addEventListener('push', (event) => {
    event.waitUntil(show(readPayload(event)));
  });

  self.addEventListener('notificationclick', (event) => {
    event.notification.close();
    const data = event.notification.data || {};
    const url = new URL(targetUrl({ url: data.url, dossier_id: data.dossier_id }),
                        self.location.origin).href;
    event.waitUntil((async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (open) {
        let client = open;
        try {
          client = (await open.focus()) || open;
        } catch (e) { /* the browser refused focus; still take the page to the dossier */ }
        if (client.url !== url) {
          try {
            await client.navigate(url);
          } catch (e) {
            // Not controlled by this worker: ask the page to go there itself.
            client.postMessage({ type: 'hoso:open', url });
          }
        }
        return;
      }
      await self.clients.openWindow(url);
    })());
  });
})();

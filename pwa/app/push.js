// Web Push: after the citizen's first submission, offer to tell them about status updates
// (supplement requested, result ready) on this phone. Never on load, never twice: the
// outcome is kept in localStorage.
const STATE_KEY = 'hoso.push';
const DEVICE_KEY = 'hoso.deviceId';

const TEXT = {
  vi: {
    title: 'Nhận thông báo về hồ sơ?',
    body: 'Chúng tôi sẽ báo khi cán bộ yêu cầu bổ sung hoặc khi có kết quả, kể cả khi bạn không mở ứng dụng.',
    yes: 'Bật thông báo',
    no: 'Để sau',
  },
  en: {
    title: 'Get updates on your application?',
    body: 'We will tell you when the office asks for more information or the result is ready, even when the app is closed.',
    yes: 'Turn on',
    no: 'Not now',
  },
};

function remember(outcome) {
  try {
    localStorage.setItem(STATE_KEY, JSON.stringify({ outcome, at: new Date().toISOString() }));
  } catch (e) { /* private mode: we may ask again next time */ }
  return outcome;
}

export function pushState() {
  try { return JSON.parse(localStorage.getItem(STATE_KEY) || 'null'); } catch (e) { return null; }
}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random()).slice(2);
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// A short explanation with two buttons; resolves false when the citizen says no, otherwise
// with the browser's permission answer. The permission is asked inside the tap's own handler:
// WebKit (Safari, iPhone apps on the Home Screen) shows the prompt only during a user gesture.
function ask() {
  const lang = document.documentElement.lang === 'en' ? 'en' : 'vi';
  const text = TEXT[lang];
  return new Promise((resolve) => {
    const box = document.createElement('div');
    box.className = 'push-offer';
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-labelledby', 'push-offer-title');
    box.innerHTML = '<p class="push-offer-title" id="push-offer-title"></p><p class="push-offer-body"></p>'
      + '<div class="push-offer-actions"><button type="button" data-push="yes"></button>'
      + '<button type="button" data-push="no" class="secondary"></button></div>';
    // A card over the bottom of the screen (CSSOM styles are allowed by the CSP).
    Object.assign(box.style, {
      position: 'fixed', left: '.5rem', right: '.5rem', bottom: '.5rem', zIndex: '20',
      padding: '.75rem 1rem', borderRadius: '.5rem', background: 'var(--bg, #fff)',
      color: 'var(--ink, #1a1a1a)', border: '2px solid var(--brand, #0b4f8a)',
      boxShadow: '0 4px 16px rgba(0,0,0,.25)',
    });
    box.querySelector('.push-offer-actions').style.cssText = 'display:flex;gap:.5rem;flex-wrap:wrap';
    box.querySelector('.push-offer-title').style.fontWeight = '700';
    box.querySelector('.push-offer-title').textContent = text.title;
    box.querySelector('.push-offer-body').textContent = text.body;
    box.querySelector('[data-push="yes"]').textContent = text.yes;
    box.querySelector('[data-push="no"]').textContent = text.no;
    // While the card is up, the page gets room below it: what the card covers (the fee box's
    // bank button after a submission, say) can still be scrolled above it and tapped.
    const padding = document.body.style.paddingBottom;
    box.addEventListener('click', (e) => {
      const answer = e.target.closest('[data-push]');
      if (!answer) return;
      box.remove();
      document.body.style.paddingBottom = padding;
      resolve(answer.dataset.push === 'yes' ? Notification.requestPermission() : false);
    });
    document.body.appendChild(box);
    document.body.style.paddingBottom = `${box.offsetHeight + 16}px`;
    box.querySelector('[data-push="yes"]').focus();
  });
}

// Subscribe this browser and tell the server; used after a yes, and to re-send a renewed
// subscription when permission was already given.
export async function subscribe(api) {
  const reg = await navigator.serviceWorker.ready;
  const { public_key: key } = await api.get('/api/v1/push/vapid-public-key', { auth: false });
  let sub = await reg.pushManager.getSubscription();
  if (sub && sub.options && sub.options.applicationServerKey) {
    const current = new Uint8Array(sub.options.applicationServerKey);
    const wanted = keyBytes(key);
    if (current.length !== wanted.length || current.some((b, i) => b !== wanted[i])) {
      await sub.unsubscribe(); // the server's key changed: the old subscription is useless
      sub = null;
    }
  }
  if (!sub) {
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  }
  await api.post('/api/v1/push/subscriptions', { ...sub.toJSON(), device_id: deviceId() });
  return sub;
}

export async function offerPush(api) {
  if (!pushSupported()) return remember('unsupported');
  const previous = pushState();
  if (previous && previous.outcome !== 'error') return previous.outcome;
  if (Notification.permission === 'denied') return remember('denied');
  if (Notification.permission !== 'granted') {
    const permission = await ask();
    if (!permission) return remember('dismissed');
    if (permission !== 'granted') return remember(permission === 'denied' ? 'denied' : 'dismissed');
  }
  try {
    await subscribe(api);
    return remember('subscribed');
  } catch (e) {
    remember('error'); // offline or the server refused: offer again after the next submission
    throw e;
  }
}

// Stop push on this device (e.g. on sign-out of a shared phone).
export async function unsubscribe(api) {
  if (!pushSupported()) return;
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return;
  await api.request('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: sub.endpoint } }).catch(() => {});
  await sub.unsubscribe();
  remember('unsubscribed');
}

// Sign up, sign in (phone or email), and the account screen (language, sign out).
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { count } from '../outbox.js';
import { problemText, title, toast } from './shell.js';
import { settingsBox } from '../telemetry.js';

function input(id, label, attrs = {}, help = null) {
  return h('div.field', h('label', { for: id }, label),
    help ? h('p.help', { id: `${id}-help` }, help) : null,
    h('input', { id, name: id, required: true, 'aria-describedby': help ? `${id}-help ${id}-err` : `${id}-err`, ...attrs }),
    h('p.error', { id: `${id}-err` }));
}

// Each message once: a field's own message under the field, the rest in the summary.
function showErrors(form, err) {
  const summary = form.querySelector('.summary');
  const errors = (err && err.body && err.body.errors) || {};
  const shown = new Set();
  for (const el of form.querySelectorAll('p.error')) {
    const key = el.id.replace(/-err$/, '').replace(/^(login|signup|account|verify|reset)-/, '');
    el.textContent = (errors[key] || []).join(' ');
    if (errors[key]) shown.add(key);
  }
  const rest = Object.entries(errors).filter(([k]) => !shown.has(k)).flatMap(([, v]) => v);
  const atFields = [...shown].flatMap((k) => errors[k]);
  const detail = err && err.body && (err.body.detail || err.body.title);
  summary.textContent = !err ? '' : err.offline || !err.body ? problemText(err)
    : [atFields.includes(detail) ? null : detail, ...rest].filter(Boolean).join(' ');
}

// Why a sign-in is asked for, when the person came from a procedure: they return there after.
function whyNotice(params) {
  const next = new URLSearchParams(params.query || '').get('next') || '';
  return next.startsWith('#/p/') || next.startsWith('#/d/') ? h('p.notice', { id: 'why' }, t('auth.why_start')) : null;
}

function withNext(hash, params) {
  const next = new URLSearchParams(params.query || '').get('next');
  return next ? `${hash}?next=${encodeURIComponent(next)}` : hash;
}

// What was typed as the login when "Forgot password?" was tapped: the reset screen starts from
// it, so a number is not typed twice (kept in memory only, never in the address).
let typedLogin = '';

export async function renderLogin(main, params, app) {
  const last = await api.lastUser();
  const waiting = last && !api.hasTokens() ? await app.waitingFor(last) : 0;
  const form = h('form', { novalidate: true },
    whyNotice(params),
    waiting ? h('p.notice', t('auth.queue_kept', { n: waiting })) : null,
    input('login-login', t('auth.phone_or_email'), { autocomplete: 'username', value: last ? last.phone || last.email || '' : '' }),
    input('login-password', t('auth.password'), { type: 'password', autocomplete: 'current-password' }),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('auth.sign_in')),
    h('p', h('a', { href: '#/reset', onclick: () => { typedLogin = form.querySelector('#login-login').value.trim(); } }, t('auth.forgot'))),
    h('p', t('auth.no_account'), ' ', h('a', { href: withNext('#/signup', params) }, t('auth.sign_up'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const user = await api.login(form.querySelector('#login-login').value.trim(), form.querySelector('#login-password').value);
      await app.signedIn(user);
    } catch (err) {
      showErrors(form, err);
      form.querySelector('#login-login').focus();
    } finally {
      btn.disabled = false;
    }
  });
  title(main, t('auth.sign_in'), form);
}

export async function renderSignup(main, params, app) {
  const form = h('form', { novalidate: true },
    whyNotice(params),
    input('signup-full_name', t('auth.full_name'), { autocomplete: 'name' }),
    input('signup-phone', t('auth.phone'), { type: 'tel', autocomplete: 'tel', required: false }),
    input('signup-email', t('auth.email'), { type: 'email', autocomplete: 'email', required: false }),
    h('p.help', t('auth.phone_or_email_hint')),
    input('signup-password', t('auth.password'), { type: 'password', autocomplete: 'new-password', minlength: 8 }, t('auth.password_rules')),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('auth.sign_up')),
    h('p', t('auth.have_account'), ' ', h('a', { href: withNext('#/login', params) }, t('auth.sign_in'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const val = (id) => form.querySelector(`#signup-${id}`).value.trim();
    const body = { full_name: val('full_name'), password: form.querySelector('#signup-password').value };
    if (val('phone')) body.phone = val('phone');
    if (val('email')) body.email = val('email');
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await api.register(body);
      const next = new URLSearchParams(params.query || '').get('next');
      location.hash = `#/verify?to=${encodeURIComponent(body.phone || body.email)}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  watchPassword(form, '#signup-password', () => ({
    full_name: form.querySelector('#signup-full_name').value,
    phone: form.querySelector('#signup-phone').value || null,
    email: form.querySelector('#signup-email').value || null,
  }));
  title(main, t('auth.sign_up'), form);
}

// The server's strength rule as the person types (sign-up needs a connection anyway).
function watchPassword(form, selector, about) {
  const field = form.querySelector(selector);
  const out = form.querySelector(`${selector}-err`);
  let timer = null;
  field.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const value = field.value;
      if (!value) { out.textContent = ''; return; }
      const check = await api.passwordCheck({ password: value, ...about() }).catch(() => null);
      // An answer about what is no longer typed (a slow line, a newer check) says nothing.
      if (check && field.value === value) out.textContent = check.ok ? '' : check.problems.join(' ');
    }, 400);
  });
}

// Development (SMS_PROVIDER=outbox): the message the server kept, shown in place of an SMS.
// Asked again for a few seconds while nothing is there yet (an answer lost on a busy line).
async function outboxNotice(to, box) {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const [last] = await api.devOutbox(to).catch(() => []);
    if (last) {
      box.replaceChildren(h('strong', t('auth.dev_outbox')), ' ', last.text);
      box.hidden = false;
      return;
    }
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
  box.hidden = true;
}

export async function renderVerify(main, params, app) {
  const to = new URLSearchParams(params.query || '').get('to') || '';
  const demo = h('p.notice', { hidden: true, 'data-testid': 'dev-outbox' });
  const form = h('form', { novalidate: true },
    h('p', t('auth.code_sent', { to })),
    demo,
    input('verify-code', t('auth.code'), { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('auth.confirm')),
    h('p', h('a', { href: '#/signup' }, t('auth.resend'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await app.signedIn(await api.verifyCode(to, form.querySelector('#verify-code').value.trim()));
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  title(main, t('auth.verify_title'), form);
  await outboxNotice(to, demo);
}

export async function renderReset(main, _params, app) {
  const demo = h('p.notice', { hidden: true, 'data-testid': 'dev-outbox' });
  const ask = h('form', { novalidate: true },
    h('p', t('auth.reset_hint')),
    input('reset-login', t('auth.phone_or_email'), { autocomplete: 'username', value: typedLogin }),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('auth.send_code')));
  const confirm = h('form', { novalidate: true, hidden: true },
    demo,
    input('reset-code', t('auth.code'), { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }),
    input('reset-password', t('auth.new_password'), { type: 'password', autocomplete: 'new-password' }),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('auth.set_password')));
  typedLogin = '';
  const login = () => ask.querySelector('#reset-login').value.trim();
  ask.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.resetStart(login());
      ask.querySelector('button').disabled = true;
      confirm.hidden = false;
      confirm.prepend(h('p', t('auth.code_sent', { to: login() })));
      confirm.querySelector('#reset-code').focus();
      await outboxNotice(login(), demo);
    } catch (err) {
      showErrors(ask, err);
    }
  });
  confirm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await app.signedIn(await api.resetConfirm(login(), confirm.querySelector('#reset-code').value.trim(),
        confirm.querySelector('#reset-password').value));
    } catch (err) {
      showErrors(confirm, err);
    }
  });
  watchPassword(confirm, '#reset-password', () => ({ phone: login() }));
  title(main, t('auth.reset_title'), ask, confirm);
}

export async function renderAccount(main, _params, app) {
  const user = await api.lastUser();
  if (!user) { location.hash = '#/login'; return; }
  const waiting = await count();
  const citizen = user.kind !== 'official';
  title(main, t('nav.account'),
    h('dl.facts', h('dt', t('auth.full_name')), h('dd', user.full_name),
      h('dt', t('auth.phone_or_email')), h('dd', user.phone || user.email)),
    api.hasTokens() ? null : h('p.notice', t('auth.queue_kept', { n: waiting }), ' ', h('a', { href: '#/login' }, t('auth.sign_in'))),
    waiting ? h('p.notice', t('account.unsent', { n: waiting })) : null,
    citizen ? await notificationsBox() : null,
    citizen ? settingsBox() : null,
    api.hasTokens() ? passwordBox() : null,
    h('h2', t('account.sessions')),
    h('div.actions',
      h('button.secondary', { type: 'button', id: 'sign-out', onclick: async () => { await api.logout(); await app.signedOut(); } }, t('auth.sign_out')),
      api.hasTokens() ? h('button.secondary', { type: 'button', id: 'sign-out-all', onclick: async (e) => {
        if (!confirm(t('account.sign_out_all_confirm'))) return;
        e.target.disabled = true;
        try {
          await api.post('/api/v1/account/sign-out-everywhere', {});
          await api.logout();
          toast(t('account.signed_out_all'));
          await app.signedOut();
        } catch (err) {
          toast(problemText(err), 'warn');
          e.target.disabled = false;
        }
      } }, t('account.sign_out_all')) : null),
    citizen ? h('p', h('a', { href: '#/conflicts' }, t('conflicts.title'))) : null,
    h('p', h('a', { href: '#/welcome' }, t('intro.again'))));
}

// Notifications on this phone, with their real state: the browser's permission and whether
// this phone has a subscription the server knows.
async function notificationsBox() {
  const box = h('section', { 'aria-labelledby': 'push-h' }, h('h2', { id: 'push-h' }, t('account.notifications')));
  let push = null;
  try { push = await import('../push.js'); } catch { /* no push on this build */ }
  const supported = push && push.pushSupported();
  let subscribed = false;
  if (supported) {
    try {
      const reg = await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(() => r(null), 3000))]);
      subscribed = Boolean(reg && (await reg.pushManager.getSubscription()));
    } catch { subscribed = false; }
  }
  const blocked = supported && Notification.permission === 'denied';
  const state = !supported ? 'unsupported' : blocked ? 'blocked' : subscribed ? 'on' : 'off';
  box.append(h('p', { id: 'push-state', 'data-state': state }, t(`account.push_${state}`)));
  if (state === 'on' || state === 'off') {
    box.append(h('button.secondary', { type: 'button', id: 'push-toggle', onclick: async (e) => {
      e.target.disabled = true;
      try {
        if (state === 'on') {
          await push.unsubscribe(api);
          toast(t('account.push_turned_off'));
        } else {
          if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted') {
            toast(t('account.push_blocked'), 'warn');
          } else {
            await push.subscribe(api);
            localStorage.setItem('hoso.push', JSON.stringify({ outcome: 'subscribed', at: new Date().toISOString() }));
            toast(t('account.push_turned_on'));
          }
        }
      } catch (err) {
        toast(err && err.offline ? t('error.offline') : t('account.push_failed'), 'warn');
      }
      window.dispatchEvent(new CustomEvent('hoso:rerender'));
    } }, state === 'on' ? t('account.push_turn_off') : t('account.push_turn_on')));
  }
  return box;
}

function passwordBox() {
  const form = h('form', { novalidate: true, id: 'password-form' },
    input('account-current_password', t('account.current_password'), { type: 'password', autocomplete: 'current-password' }),
    input('account-new_password', t('account.new_password'), { type: 'password', autocomplete: 'new-password' }, t('auth.password_rules')),
    h('p.summary', { role: 'alert' }),
    h('button.primary', { type: 'submit' }, t('account.change_password')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const session = await api.loadSession();
      await api.post('/api/v1/account/password', {
        current_password: form.querySelector('#account-current_password').value,
        new_password: form.querySelector('#account-new_password').value,
        refresh_token: session && session.refresh_token });
      form.reset();
      showErrors(form, null);
      toast(t('account.password_changed'));
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return h('section', { 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, t('account.change_password')), form);
}

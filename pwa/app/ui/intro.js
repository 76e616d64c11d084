// The first screen a newcomer sees (`#/welcome`): what Hoso is, that it works without a
// network, and what a procedure needs. Shown once per phone; reachable again from Account.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { title } from './shell.js';

export const INTRO_SEEN = 'hoso.introSeen';

export function introSeen() {
  try { return Boolean(localStorage.getItem(INTRO_SEEN)); } catch { return true; }
}

export async function renderIntro(main) {
  const go = () => {
    try { localStorage.setItem(INTRO_SEEN, '1'); } catch { /* private mode: shown again next time */ }
    location.hash = '#/';
  };
  title(main, t('intro.title'),
    h('section.intro',
      h('p', t('intro.what')),
      h('h2', t('intro.how_title')),
      h('ol',
        h('li', t('intro.step_pick')),
        h('li', t('intro.step_fill')),
        h('li', t('intro.step_send')),
        h('li', t('intro.step_follow'))),
      h('h2', t('intro.offline_title')),
      h('p', t('intro.offline')),
      h('h2', t('intro.needs_title')),
      h('p', t('intro.needs'))),
    h('div.actions', h('button.primary', { type: 'button', id: 'intro-start', onclick: go }, t('intro.start'))));
  // For benchmarks/pwa_budget.py: a newcomer's first screen is usable.
  requestAnimationFrame(() => { if (!performance.getEntriesByName('hoso:intro').length) performance.mark('hoso:intro'); });
}

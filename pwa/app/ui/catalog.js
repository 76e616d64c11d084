// The catalog: the first screen, with search. It imports only what it draws (a first visit
// on a slow network waits for every module it imports); a procedure's page is ui/procedure.js.
import { getCatalog, handledBy, search } from '../catalog.js';
import { h, clear } from '../dom.js';
import { feeLine } from '../fees.js';
import { loc, t } from '../i18n.js';
import { title } from './shell.js';

export async function renderCatalog(main) {
  const items = await getCatalog();
  const list = h('ul.cards', { 'aria-live': 'polite' });
  const q = h('input', { id: 'q', type: 'search', autocomplete: 'off', placeholder: t('catalog.search_hint') });
  const draw = () => {
    clear(list);
    const found = search(items, q.value);
    if (!found.length) list.append(h('li.empty', t('catalog.none')));
    for (const p of found) {
      // The whole card is the link (a big target for a thumb), not only its title.
      const bundle = (p.members || []).length > 0;
      list.append(h(bundle ? 'li.card.bundle' : 'li.card', h('a.card-link', { href: `#/p/${p.code}` }, h('strong', loc(p.name)),
        bundle ? h('span.tag', t('catalog.bundle')) : h('span.muted', handledBy(p)),
        h('span.meta', bundle ? t('catalog.time_each') : t('catalog.days', { n: p.processing_days }), ' · ', feeLine(p.fees)))));
    }
  };
  q.addEventListener('input', draw);
  title(main, t('catalog.title'), h('div.field.search', h('label', { for: 'q' }, t('catalog.search')), q), list);
  draw();
  // For benchmarks/pwa_budget.py: when the catalog became usable (after the router attaches it).
  requestAnimationFrame(() => { if (!performance.getEntriesByName('hoso:catalog').length) performance.mark('hoso:catalog'); });
}

// Slips to print (`#/office/print/<kind>?ids=a,b,c`): the receipt with the appointment date,
// the supplement request, the refusal and the apology (Circular 01/2018/TT-VPCP), one A4
// page each, several at once. The content comes from the server (the same as the citizen's
// PDF); the print stylesheet (@media print) leaves out the app around them.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { problemText, title } from './shell.js';
import { listHref } from './office_common.js';

function slipPage(s) {
  return h('article.slip', { 'data-slip': s.kind, lang: 'vi' },
    h('header.slip-head',
      h('div', h('p.agency', s.agency.toUpperCase()), h('p', `Số: ${s.number}`)),
      h('div', s.motto.map((line, i) => h(i ? 'p.motto-sub' : 'p.motto', line)))),
    h('p.slip-date', s.place_date),
    h('h2.slip-title', s.title),
    s.sections.map((sec) => h('section',
      sec.title ? h('p.slip-section', sec.title) : null,
      sec.rows.length ? h('dl.slip-rows', sec.rows.flatMap(([k, v]) => [h('dt', `${k}:`), h('dd', v)])) : null,
      sec.items.length ? h('ol.slip-items', sec.items.map((x) => h('li', x))) : null,
      sec.paragraphs.map((p) => h('p', p)))),
    h('footer.slip-signatures', s.signatures.map((sig) => h('div.signature', h('p.sig-title', sig.title), h('p.sig-hint', '(Ký, ghi rõ họ tên)'), h('p.sig-name', sig.name)))),
    h('p.slip-form', s.form));
}

export async function renderOfficePrint(main, { kind, query }) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return null; }
  document.body.classList.add('wide');
  const ids = (new URLSearchParams(query || '').get('ids') || '').split(',').filter(Boolean).slice(0, 50);
  const results = await Promise.all(ids.map((id) => api.get(`/api/v1/office/dossiers/${id}/slips/${kind}`).then((s) => ({ id, s }), (err) => ({ id, err }))));
  const slips = results.filter((r) => r.s);
  const failed = results.filter((r) => r.err);
  const pdfs = ids.length === 1 && slips.length ? h('a.button.secondary', { href: '#', id: 'slip-pdf', onclick: async (e) => {
    e.preventDefault();
    const r = await api.send('GET', `/api/v1/office/dossiers/${ids[0]}/slips/${kind}/pdf`);
    window.open(URL.createObjectURL(await r.blob()), '_blank', 'noopener');
  } }, t('desk.slip_pdf')) : null;
  title(main, t(`slip.${kind}`),
    h('div.no-print.print-bar',
      h('a', { href: ids.length === 1 ? `#/office/${ids[0]}` : listHref() }, `← ${t('viewer.back')}`),
      h('button.primary', { type: 'button', id: 'print', onclick: () => window.print() }, t('desk.print_now', { n: slips.length })), pdfs,
      failed.length ? h('p.summary', { role: 'alert' }, failed.map((f) => problemText(f.err)).join(' ')) : null),
    h('div.slips', slips.map((r) => slipPage(r.s))));
  return () => document.body.classList.remove('wide');
}

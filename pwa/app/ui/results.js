// The signed documents of a dossier (receipt of filing, result): open, share, share links.
import { h, clear } from '../dom.js';
import { fmtDate, t } from '../i18n.js';
import * as results from '../results.js';
import { toast } from './shell.js';
import { viewLink } from './viewer.js';

function linkRow(doc, link, redraw) {
  const url = link.url && link.active ? new URL(link.url, location.origin).href : null;
  return h('li.share-link', { 'data-link': link.id },
    url ? h('input', { type: 'text', readonly: true, value: url, 'aria-label': t('results.link') }) : null,
    h('span.meta', link.active ? t('results.link_until', { date: fmtDate(link.expires_at) }) : t('results.link_inactive')),
    link.active ? h('button.link.danger', { type: 'button', onclick: async () => {
      try {
        await results.revokeLink(doc, link);
        toast(t('results.link_revoked'));
      } catch { toast(t('results.needs_network'), 'warn'); }
      redraw();
    } }, t('results.revoke')) : null);
}

// A document the agency is still signing: what it will be, and that it is on its way.
function preparingCard(doc) {
  return h('li.card.issued.preparing', { 'data-doc': doc.id, 'data-kind': doc.kind, 'data-issued': doc.kind, 'data-preparing': '1' },
    h('strong', doc.title), h('p.meta', `${t('results.number')}: ${doc.number} · ${fmtDate(doc.issued_at)}`),
    h('p.notice', { role: 'status' }, t('results.preparing')));
}

function docCard(doc) {
  if (doc.ready === false) return preparingCard(doc);
  const linksBox = h('ul.share-links');
  const made = new Map(); // links made here keep their URL (the server shows it only once)
  const redraw = async () => {
    if (!navigator.onLine) return;
    try {
      const all = await results.links(doc);
      clear(linksBox).append(...all.map((l) => linkRow(doc, { ...l, url: (made.get(l.id) || {}).url }, redraw)));
    } catch { /* offline */ }
  };
  const buttons = h('div.actions',
    h('button.primary', { type: 'button', 'data-open': doc.id, disabled: !doc.blob, onclick: () => results.open(doc) },
      t('results.open')),
    navigator.share ? h('button.secondary', { type: 'button', disabled: !doc.blob, onclick: async () => {
      try {
        if (!(await results.shareFile(doc))) toast(t('results.share_unsupported'), 'warn');
      } catch { /* the person closed the share sheet */ }
    } }, t('results.share')) : null,
    h('button.secondary', { type: 'button', 'data-share-link': doc.id, onclick: async () => {
      try {
        const link = await results.createLink(doc);
        made.set(link.id, link);
        await redraw();
      } catch { toast(t('results.needs_network'), 'warn'); }
    } }, t('results.make_link')));
  redraw();
  buttons.append(viewLink('issued', doc.id, doc.title));
  return h('li.card.issued', { 'data-doc': doc.id, 'data-kind': doc.kind, 'data-issued': doc.kind },
    h('strong', doc.title), h('p.meta', `${t('results.number')}: ${doc.number} · ${fmtDate(doc.issued_at)}`),
    doc.revoked_at ? h('p.notice.warn', t('results.revoked')) : null,
    doc.blob ? null : h('p.muted', t('results.not_on_phone')),
    h('p.meta', h('a', { href: doc.verify_url, target: '_blank', rel: 'noopener' }, t('results.verify'))),
    buttons, linksBox);
}

const PREPARING_RETRY_MS = 3000;
const PREPARING_TRIES = 20;

// A section for the dossier page (empty when nothing was issued yet). While a document is
// being signed, the list is asked again every few seconds as long as the section is shown.
export async function issuedSection(dossierId) {
  const items = await results.issuedFor(dossierId);
  if (!items.length) return null;
  const list = h('ul.cards', items.map(docCard));
  const section = h('section.issued', { 'aria-labelledby': 'issued-h' },
    h('h2', { id: 'issued-h' }, t('results.title')),
    h('p.muted', t('results.signed_hint')), list);
  let tries = 0;
  const again = async () => {
    if (!section.isConnected || tries++ >= PREPARING_TRIES) return;
    const now = await results.issuedFor(dossierId).catch(() => null);
    if (!section.isConnected) return;
    if (now) clear(list).append(...now.map(docCard));
    if (!now || now.some((d) => d.ready === false)) setTimeout(again, PREPARING_RETRY_MS);
  };
  if (items.some((d) => d.ready === false)) setTimeout(again, PREPARING_RETRY_MS);
  return section;
}

// The documents a dossier needs, with where each stands (text, not only colour).
import { h, clear } from '../dom.js';
import { loc, t } from '../i18n.js';
import { requiredDocuments } from '../forms.js';
import { store } from '../db.js';

export async function documentsSection(box, { dossierId, form, values }) {
  const docs = form.documents || [];
  clear(box);
  if (!docs.length) return;
  const server = await store().get('dossiers', dossierId);
  const have = (server && server.documents) || {};
  const needed = new Set(requiredDocuments(form, values).map((d) => d.code));
  box.append(h('h2', t('procedure.documents')), h('ul.docs', docs.map((d) => {
    const item = have[d.code];
    const state = item ? (item.status === 'ready' ? t('docs.ready') : t('docs.uploading')) : needed.has(d.code) ? t('docs.missing') : t('procedure.doc_optional');
    return h('li', { 'data-doc': d.code }, h('strong', loc(d.label)), ' — ', h('span.doc-state', state),
      d.help ? h('p.help', loc(d.help)) : null);
  })));
}

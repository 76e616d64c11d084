// Opens one document for whoever may read it: an upload (its owner, or an official of the
// agency handling a dossier that uses it) or a warehouse record (its owner, or an official
// handling a dossier that uses it, logged). The server decides; this screen only shows.
// A signed document the agency issued (receipt, result) opens for its holder or the agency.
// `#/view/upload/<id>`, `#/view/record/<id>`, `#/view/issued/<id>`, with `?name=<label>`.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { problemText, title } from './shell.js';

const PATHS = {
  upload: (id) => `/api/v1/uploads/${id}/content`,
  record: (id) => `/api/v1/warehouse/records/${id}/content`,
  issued: (id) => `/api/v1/documents/${id}/pdf`, // a signed receipt or result (PDF)
};

// A link to the viewer, for lists of documents.
export function viewLink(kind, id, name) {
  const q = name ? `?name=${encodeURIComponent(name)}` : '';
  return h('a.button.secondary.view', { href: `#/view/${kind}/${id}${q}`, 'data-view': `${kind}/${id}` }, t('viewer.open'));
}

// The document's bytes as a local URL and its type, or `{ error }` in the reader's words.
// The caller revokes the URL when its screen goes.
export async function fetchDocument(kind, id) {
  const path = PATHS[kind] && PATHS[kind](id);
  if (!path) return { error: t('error.not_found') };
  let resp;
  try {
    resp = await api.send('GET', path, { Accept: '*/*' });
  } catch (err) {
    return { error: err.offline ? t('viewer.offline') : problemText(err) };
  }
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({}));
    return { error: problemText({ body }) };
  }
  const type = (resp.headers.get('Content-Type') || '').split(';')[0].trim();
  const blob = await resp.blob();
  return { type, url: URL.createObjectURL(new Blob([blob], { type })) };
}

// One document shown: an image inline, a PDF opened in the browser's viewer, a download.
export function documentBox(doc, name) {
  const box = h('div.viewer', { 'data-type': doc.type });
  if (doc.type.startsWith('image/')) {
    box.append(h('img', { src: doc.url, alt: name }));
  } else if (doc.type === 'application/pdf') {
    // The browser's own PDF viewer, in a new tab (the app's pages embed no frames).
    box.append(h('p', t('viewer.pdf')),
      h('p', h('a.button.primary', { href: doc.url, target: '_blank', rel: 'noopener', 'data-pdf': '1' }, t('viewer.open_pdf'))));
  } else {
    box.append(h('p', t('viewer.other')));
  }
  box.append(h('p', h('a.button.secondary', { href: doc.url, download: name }, t('viewer.download'))));
  return box;
}

export async function renderViewer(main, { kind, id, query }) {
  const name = new URLSearchParams(query || '').get('name') || t('viewer.title');
  const back = h('button.link', { type: 'button', onclick: () => history.back() }, `← ${t('viewer.back')}`);
  if (!PATHS[kind]) { title(main, t('error.not_found'), back); return null; }
  const doc = await fetchDocument(kind, id);
  if (doc.error) {
    title(main, name, back, h('p.summary', { role: 'alert' }, doc.error));
    return null;
  }
  title(main, name, back, documentBox(doc, name));
  return () => URL.revokeObjectURL(doc.url);
}

// A procedure's page (documents, fee and exemptions, time, agency) and the start of a draft.
import { currentUser, lastUser } from '../api.js';
import { getForm, getProcedure, handledBy } from '../catalog.js';
import { h, uuid } from '../dom.js';
import { dueText, feeLine, feeWord, ruleLine } from '../fees.js';
import { dueWhen } from '../conditions.js';
import { fmtDate, loc, t } from '../i18n.js';
import { saveDraft } from '../outbox.js';
import { record } from '../telemetry.js';
import { title } from './shell.js';

// What the procedure rests on (law, decree, circular, form) and when that was checked.
function legalBasis(p) {
  const items = p.legal_basis || [];
  if (!items.length) return null;
  const line = (b) => `${loc(b.title)} (${b.number})${(b.articles || []).length
    ? `, ${t('procedure.articles', { list: b.articles.join(', ') })}` : ''}`;
  return [h('dt', t('procedure.legal_basis')), h('dd', h('ul.rules', items.map((b) => h('li', line(b)))),
    p.checked_on ? h('p.help', t('procedure.checked_on', { date: fmtDate(p.checked_on) })) : null)];
}

export async function renderProcedure(main, { code }) {
  const p = await getProcedure(code);
  const form = (await getForm(p.code, p.current_version)).form;
  const fees = p.fees || {};
  const docs = form.documents || [];
  // A bundle: each linked dossier's agency and time, not the bundle's own.
  const terms = (p.member_terms || []).length ? p.member_terms : null;
  const start = h('button.primary', { type: 'button', onclick: () => startDraft(p) }, t('procedure.start'));
  record('form_opened', { procedure: p.code });
  title(main, loc(p.name),
    h('p', loc(p.summary)),
    h('dl.facts',
      h('dt', t('procedure.agency')), h('dd', { id: 'agency' }, terms ? h('ul.rules', terms.map((m) => h('li', `${loc(m.name)}: ${loc(m.agency)}`))) : handledBy(p)),
      h('dt', t('procedure.time')), h('dd', { id: 'time' }, terms ? h('ul.rules', terms.map((m) => h('li', `${loc(m.name)}: ${t('catalog.days', { n: m.processing_days })}`))) : t('catalog.days', { n: p.processing_days })),
      h('dt', feeWord(fees)), h('dd', feeLine(fees),
        fees.note ? h('p.help', loc(fees.note)) : null,
        fees.per_item && fees.per_item.label ? h('p.help', loc(fees.per_item.label)) : null,
        (fees.rules || []).length ? h('ul.rules', fees.rules.map((r) => h('li', ruleLine(r, fees)))) : null,
        dueWhen(fees) !== 'never' ? h('p.help', dueText(fees, dueWhen(fees))) : null),
      p.result && p.result.label ? [h('dt', t('procedure.result')), h('dd', loc(p.result.label))] : null,
      legalBasis(p)),
    h('h2', t('procedure.documents')),
    docs.length
      ? h('ul.docs', docs.map((d) => h('li', h('strong', loc(d.label)), ' — ',
        d.required ? t('procedure.doc_required') : d.required_if ? t('procedure.doc_conditional') : t('procedure.doc_optional'),
        d.help ? h('p.help', loc(d.help)) : null)))
      : h('p', t('procedure.no_documents')),
    start);
}

async function startDraft(p) {
  // Signed out: say why an account is needed, then come back and open the form.
  if (!currentUser() && !(await lastUser())) { location.hash = `#/signup?next=${encodeURIComponent(`#/p/${p.code}/start`)}`; return; }
  const id = uuid();
  const form = (await getForm(p.code, p.current_version)).form;
  const fields = {};
  for (const s of form.sections || []) for (const f of s.fields || []) if ('default' in f) fields[f.name] = f.default;
  await saveDraft({ id, procedure_code: p.code, form_version: p.current_version, procedure_name: p.name, fields, base_version: 0 });
  record('draft_started', { procedure: p.code, version: p.current_version });
  location.replace(`#/d/${id}/edit`);
}

// `#/p/<code>/start`: where sign-up and sign-in return to: a new draft of that procedure.
export async function renderStart(main, { code }) {
  await startDraft(await getProcedure(code));
}

// The satisfaction rating of a returned dossier: five levels, the reasons that fit the level,
// and (optional) the nine criteria provinces rate agencies on. Queued as `dossier.rate`, so
// it works offline and is applied once; the box is gone as soon as the rating is queued.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { enqueue } from '../outbox.js';
import { store } from '../db.js';
import { queuedText, toast } from './shell.js';

export const CRITERIA = ['total_time', 'time_per_agency', 'contacts', 'agencies_contacted', 'one_stop',
  'procedures_published', 'staff_attitude', 'feedback_handling', 'online_quality'];
const GOOD = ['fast', 'clear_guidance', 'helpful_staff', 'easy_online', 'no_trips', 'other'];
const BAD = ['slow', 'extra_papers', 'unclear_guidance', 'many_trips', 'staff_attitude', 'app_errors', 'payment_problem', 'other'];

// Ask when the result is back and nothing was rated or queued yet.
export function wantsRating(d, queued) {
  return Boolean(d && (d.allowed_actions || []).includes('rate') && d.rating == null
    && !queued.some((m) => m.name === 'dossier.rate'));
}

function reasonsFor(level, box) {
  const ticked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren(h('legend', t('rate.reasons')),
    ...(level >= 4 ? GOOD : BAD).map((code) => h('label.choice',
      h('input', { type: 'checkbox', name: 'reason', value: code, checked: ticked.has(code) }),
      ` ${t(`rate.reason.${code}`)}`)));
}

export function rateBox(d) {
  const reasons = h('fieldset.rate-reasons', { hidden: true });
  const criteria = h('details.rate-criteria', h('summary', t('rate.criteria')),
    CRITERIA.map((code) => h('div.field', h('label', { for: `rate-c-${code}` }, t(`rate.criterion.${code}`)),
      h('select', { id: `rate-c-${code}`, 'data-criterion': code },
        h('option', { value: '' }, '—'),
        [5, 4, 3, 2, 1].map((n) => h('option', { value: String(n) }, `${n} – ${t(`rate.${n}`)}`))))));
  const form = h('form.rate', { novalidate: true },
    h('fieldset', h('legend', t('rate.title')),
      [1, 2, 3, 4, 5].map((n) => h('label.choice', h('input', { type: 'radio', name: 'rating', value: String(n) }), ` ${n} – ${t(`rate.${n}`)}`))),
    reasons, criteria,
    h('div.field', h('label', { for: 'rate-comment' }, t('rate.comment')), h('textarea', { id: 'rate-comment', rows: 2, maxlength: 4000 })),
    h('p.error', { role: 'alert', id: 'rate-error' }),
    h('button.primary', { type: 'submit' }, t('rate.send')));
  form.addEventListener('change', (e) => {
    if (e.target.name !== 'rating') return;
    reasons.hidden = false;
    reasonsFor(Number(e.target.value), reasons);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const picked = form.querySelector('input[name=rating]:checked');
    if (!picked) { form.querySelector('#rate-error').textContent = t('rate.pick'); return; }
    const chosen = {};
    for (const sel of form.querySelectorAll('select[data-criterion]')) if (sel.value) chosen[sel.dataset.criterion] = Number(sel.value);
    const rating = Number(picked.value);
    await enqueue('dossier.rate', {
      dossier_id: d.id, rating, comment: form.querySelector('#rate-comment').value,
      criteria: chosen, reasons: [...form.querySelectorAll('input[name=reason]:checked')].map((i) => i.value),
    });
    // Shown as rated at once; the server's copy replaces it at the next pull.
    await store().put('dossiers', { ...d, rating });
    toast(queuedText());
    form.replaceWith(h('p.rated', t('rate.thanks')));
  });
  return form;
}

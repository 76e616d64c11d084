// The desk's fees page (`#/office/payments`): one day's reconciliation (totals by method,
// each payment with its provider reference, CSV export), refunds to make, flagged
// transfers, and the share of fee dossiers paid online per procedure.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t, fmtDate, fmtMoney } from '../i18n.js';
import { problemText, title, toast } from './shell.js';

const today = () => new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);

function table(caption, heads, rows) {
  return h('table.desk', h('caption', caption),
    h('thead', h('tr', heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', rows.length ? rows : h('tr', h('td', { colspan: heads.length }, t('office.none')))));
}

export async function renderOfficePayments(main, params) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return; }
  document.body.classList.add('wide');
  const day = new URLSearchParams(params.query || '').get('day') || today();
  const pick = h('form.filters',
    h('div.field', h('label', { for: 'rec-day' }, t('office.pay_day')), h('input', { id: 'rec-day', type: 'date', value: day })),
    h('button.primary', { type: 'submit' }, t('office.filter')));
  pick.addEventListener('submit', (e) => { e.preventDefault(); location.hash = `#/office/payments?day=${pick.querySelector('#rec-day').value}`; });
  const csv = h('button.secondary', { type: 'button', id: 'rec-csv' }, t('office.pay_csv'));
  csv.addEventListener('click', async () => {
    const r = await api.send('GET', `/api/v1/office/payments/reconciliation.csv?day=${day}`);
    const a = h('a', { href: URL.createObjectURL(await r.blob()), download: `doi-soat-${day}.csv` });
    document.body.append(a); a.click(); a.remove();
  });
  title(main, t('office.payments'), h('p', h('a', { href: '#/office' }, `← ${t('office.list')}`)), pick);
  try {
    const [rec, refunds, flags, share] = await Promise.all([
      api.get(`/api/v1/office/payments/reconciliation?day=${day}`),
      api.get('/api/v1/office/payments/refunds?status=open'),
      api.get('/api/v1/office/payments/flags'),
      api.get('/api/v1/office/payments/online-share')]);
    main.append(
      h('h2', t('office.pay_totals')),
      h('dl.facts', { id: 'rec-totals' }, Object.entries(rec.totals).flatMap(([m, x]) => [h('dt', t(`pay.method.${m}`)), h('dd', `${x.count} · ${fmtMoney(x.amount)}`)])),
      csv,
      table(t('office.pay_list'), [t('office.pay_time'), t('dossier.receipt'), t('office.pay_method'), t('procedure.fee'), t('office.pay_reference'), t('office.pay_receipt')],
        rec.items.map((i) => h('tr', h('td', fmtDate(i.paid_at)), h('td', i.receipt_code || '—'), h('td', t(`pay.method.${i.method}`)),
          h('td', fmtMoney(i.amount)), h('td', i.provider_reference || '—'), h('td', i.fee_receipt || '—')))),
      table(t('office.refunds'), [t('office.pay_time'), t('procedure.fee'), t('office.refund_reason'), ''],
        refunds.items.map((r) => h('tr', h('td', fmtDate(r.created_at)), h('td', fmtMoney(r.amount)), h('td', t(`status.${r.reason}`)),
          h('td', h('button.secondary', { type: 'button', onclick: async () => {
            try {
              await api.post(`/api/v1/office/payments/refunds/${r.id}`, { method: 'transfer' });
              toast(t('office.refund_done'));
              window.dispatchEvent(new CustomEvent('hoso:rerender'));
            } catch (err) { toast(problemText(err), 'error'); }
          } }, t('office.refund_done')))))),
      table(t('office.pay_flags'), [t('office.pay_time'), t('office.pay_reference'), t('procedure.fee'), t('office.pay_expected')],
        flags.items.map((f) => h('tr', h('td', fmtDate(f.received_at)), h('td', f.reference), h('td', fmtMoney(f.amount)), h('td', f.expected_amount ? fmtMoney(f.expected_amount) : '—')))),
      table(t('office.pay_share'), [t('office.procedure'), t('office.pay_paid'), t('office.pay_online')],
        share.items.map((s) => h('tr', h('td', s.procedure_code), h('td', String(s.paid)), h('td', `${s.paid_online} (${Math.round((s.online_share || 0) * 100)} %)`)))));
  } catch (err) {
    main.append(h('p.summary', { role: 'alert' }, problemText(err)));
  }
  return () => document.body.classList.remove('wide');
}

// The fee on a dossier's page: what is owed and why, "pay when connected" offline, the
// payment request (VietQR code + a link that opens the banking app), its status, and the
// receipt once paid. The paid status also arrives by pull and push (docs/payments.md).
import * as api from '../api.js';
import { h } from '../dom.js';
import { loc, t, fmtDate, fmtMoney } from '../i18n.js';
import { store } from '../db.js';
import { problemText, toast } from './shell.js';
import { paymentFailed } from '../telemetry.js';

const CLOSED = ['draft', 'withdrawn', 'refused', 'stopped'];
// The payment request on screen, per dossier: the page is redrawn when a pull or a push
// changes the dossier, and the code the person is about to scan must not vanish with it.
const requested = new Map();

export function feeBox(d) {
  if (!d || !d.fee_quote || !d.fee_amount) return null;
  const q = d.fee_quote;
  const box = h('section.fee-box', { id: 'fee', 'aria-labelledby': 'fee-h' },
    h('h2', { id: 'fee-h' }, t('pay.title')),
    h('p', h('strong', fmtMoney(d.fee_amount, q.currency)), ' — ', q.label ? loc(q.label) : t('fee.rule_base')),
    h('p', h('span.status', { id: 'fee-status', 'data-status': d.fee_status }, t(`pay.status.${d.fee_status}`))));
  const area = h('div.pay-area');
  box.append(area);
  if (d.fee_status === 'paid') {
    requested.delete(d.id);
    area.append(...receiptButton(d));
  } else if (d.fee_status === 'unpaid' && !CLOSED.includes(d.status)) {
    box.append(h('p.muted', t(`fee.due.${q.due}`)));
    if (requested.has(d.id) && navigator.onLine) showRequest(area, d, requested.get(d.id));
    else drawUnpaid(area, d);
  }
  return box;
}

function drawUnpaid(area, d) {
  area.replaceChildren();
  if (!navigator.onLine) {
    area.append(h('p.notice', { role: 'status', id: 'pay-offline' }, t('pay.offline')));
    return;
  }
  const pay = h('button.primary', { type: 'button', id: 'pay' }, t('pay.button'));
  pay.addEventListener('click', async () => {
    pay.disabled = true; // one tap, one request (the server makes a second tap the same anyway)
    try {
      const payment = await api.post(`/api/v1/dossiers/${d.id}/payment`);
      requested.set(d.id, payment);
      // A pull or a push may have redrawn the page while the request was out: the code goes
      // where the person is looking, not into the box the tap came from.
      const live = area.isConnected ? area : document.querySelector('#fee .pay-area');
      if (live) showRequest(live, d, payment);
    } catch (err) {
      pay.disabled = false;
      paymentFailed(err);
      toast(err instanceof api.NetworkError ? t('pay.offline') : problemText(err) || t('pay.failed'), 'error');
    }
  });
  area.append(pay, h('p.muted', t('pay.desk_hint')));
}

function showRequest(area, d, payment) {
  if (payment.status === 'paid' || (payment.dossier && payment.dossier.fee_status === 'paid')) { paidNow(payment); return; }
  const check = h('button.secondary', { type: 'button', id: 'pay-check' }, t('pay.check'));
  check.addEventListener('click', async () => {
    check.disabled = true;
    try {
      const fresh = await api.post(`/api/v1/payments/${payment.id}/refresh`);
      if (fresh.status === 'paid' || (fresh.dossier && fresh.dossier.fee_status === 'paid')) { paidNow(fresh); return; }
      toast(t('pay.pending'));
    } catch (err) {
      paymentFailed(err);
      toast(problemText(err) || t('pay.failed'), 'error');
    } finally { check.disabled = false; }
  });
  area.replaceChildren(
    h('p', t('pay.scan')),
    payment.qr_svg ? h('img.qr', { src: payment.qr_svg, alt: 'VietQR', width: 220, height: 220, id: 'pay-qr' }) : null,
    h('p', h('a.button.primary', { href: payment.checkout_url, id: 'pay-bank', rel: 'noopener' }, t('pay.open_bank'))),
    h('p.muted', { role: 'status' }, t('pay.pending')),
    check);
}

async function paidNow(payment) {
  if (payment.dossier) await store().put('dossiers', { ...(await store().get('dossiers', payment.dossier.id)), ...payment.dossier });
  toast(t('pay.status.paid'));
  window.dispatchEvent(new CustomEvent('hoso:rerender'));
}

function receiptButton(d) {
  const open = h('button.secondary', { type: 'button', id: 'pay-receipt' }, t('pay.receipt'));
  const note = h('p.muted', { id: 'pay-paid-on' });
  open.addEventListener('click', async () => {
    try {
      const list = await api.get(`/api/v1/dossiers/${d.id}/payments`);
      const paid = list.items.filter((p) => p.status === 'paid' && p.receipt).pop();
      if (!paid) return;
      const r = await api.send('GET', `/api/v1/fee-receipts/${paid.receipt.id}.pdf`);
      const blob = await r.blob();
      window.open(URL.createObjectURL(new Blob([blob], { type: 'application/pdf' })), '_blank');
    } catch (err) {
      toast(err instanceof api.NetworkError ? t('pay.offline') : problemText(err), 'error');
    }
  });
  // When and how it was paid, from the timeline the dossier carries.
  const event = (d.history || []).filter((e) => e.action === 'fee_paid').pop();
  if (event) note.textContent = t('pay.paid_on', { amount: fmtMoney(event.data.amount), date: fmtDate(event.at) });
  return [note, open];
}

// Pieces the desk's screens share: the list's remembered filters, a message carried over a
// reload, the deadline and fee tags, who holds a dossier, the next step for one's role.
import { h } from '../dom.js';
import { t, fmtDate } from '../i18n.js';
import { toast } from './shell.js';

// The list's filters live in its address; the dossier screen's back link returns to them.
const LIST_KEY = 'hoso.office.list';
export function rememberList(query) {
  try { sessionStorage.setItem(LIST_KEY, String(query)); } catch { /* private mode: plain list */ }
}
export function listHref() {
  let query = '';
  try { query = sessionStorage.getItem(LIST_KEY) || ''; } catch { /* plain list */ }
  return query ? `#/office?${query}` : '#/office';
}

// Shown once on the next rendering of the dossier (after it was reloaded).
const FLASH_KEY = 'hoso.office.flash';
export function flash(text) {
  try { sessionStorage.setItem(FLASH_KEY, text); } catch { toast(text); }
}
export function takeFlash() {
  try {
    const text = sessionStorage.getItem(FLASH_KEY);
    sessionStorage.removeItem(FLASH_KEY);
    return text;
  } catch { return null; }
}

// Overdue (with the working days late), due today, due soon, or a submission past its day.
export function deadlineTag(d) {
  const x = d.deadline || {};
  if (!x.state) return null;
  const text = x.state === 'overdue' ? t('desk.late_days', { n: x.days_late })
    : x.state === 'accept_late' ? t('desk.accept_late', { date: fmtDate(x.accept_by) }) : t(`desk.deadline.${x.state}`);
  return h(`span.tag.deadline${x.state === 'due_soon' ? '' : '.warn'}`, { 'data-deadline': x.state }, text);
}

export function feeTag(d) {
  if (!d.fee_status || d.fee_status === 'none') return null;
  return h('span.status.fee', { 'data-status': d.fee_status }, ` ${t(`pay.status.${d.fee_status}`)}`);
}

// Whose desk the dossier is on: the official named, else the role its status waits for.
const QUEUE = { submitted: 'reception', accepted: 'assign', in_progress: 'specialist', supplement_requested: 'citizen', awaiting_fee: 'citizen', result_ready: 'reception' };
export function holderText(d) {
  if (d.assignee) return `${d.assignee.name} (${t(`role.${d.assignee.role}`)})`;
  if (d.awaiting_approval) return t('desk.queue.leader');
  const queue = QUEUE[d.status];
  return queue ? t(`desk.queue.${queue}`) : '—';
}

// What this official should do next with this dossier, in a sentence.
export function nextStep(d, user) {
  const role = user.role;
  const mine = d.assignee && d.assignee.id === user.id;
  if (['refused', 'withdrawn', 'stopped', 'returned'].includes(d.status)) return t('desk.hint.closed');
  if (d.awaiting_approval) return t(role === 'leader' ? 'desk.hint.approve' : 'desk.hint.wait_leader');
  const key = {
    submitted: role === 'specialist' ? 'wait_reception' : 'check_accept',
    accepted: role === 'specialist' ? (mine || !d.assignee ? 'start' : 'other') : 'assign',
    in_progress: role === 'reception' ? 'wait_specialist' : role === 'leader' && !mine && d.assignee ? 'wait_specialist' : 'handle',
    supplement_requested: 'wait_citizen',
    awaiting_fee: role === 'specialist' ? 'wait_citizen' : 'fee',
    result_ready: role === 'specialist' ? 'wait_reception' : 'return',
  }[d.status];
  return key ? t(`desk.hint.${key}`) : '';
}

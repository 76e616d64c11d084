// The leaders' dashboard in the desk (wide screen): the Decision 766 index with its five
// groups and trend, each indicator's formula and source, the funnel per procedure, the
// fields that stop people, failures by network; the agency's ratings, answered here.
// Charts are inline SVG drawn from the JSON (no library, nothing from a CDN: works offline).
import * as api from '../api.js';
import { getCatalog, getForm } from '../catalog.js';
import { h } from '../dom.js';
import { dateForDisplay, dateFromTyped } from '../forms.js';
import { currentLang, fmtDate, loc, t } from '../i18n.js';
import { problemText, title, toast } from './shell.js';

const NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}
const num = (x, digits = 1) => (x === null || x === undefined ? '—'
  : Number(x).toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: digits }));
const pct = (x) => (x === null || x === undefined ? '—' : `${num(x * 100, 1)} %`);
// The local calendar day of `d` (toISOString alone gives the UTC day: until 07:00 in Viet Nam,
// yesterday).
const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);

function presets() {
  const today = new Date();
  const y = today.getFullYear();
  const m = today.getMonth();
  const q = Math.floor(m / 3) * 3;
  return [['month', new Date(y, m, 1)], ['quarter', new Date(y, q, 1)], ['year', new Date(y, 0, 1)],
    ['half', new Date(y, m - 5, 1)]].map(([k, from]) => [k, iso(from), iso(today)]);
}

// Five groups as horizontal bars: each bar is the group's points out of its 766 maximum;
// what Hoso cannot measure is drawn hatched and said in words.
function groupsChart(report) {
  const W = 640;
  const rowH = 34;
  const left = 230;
  const scale = (W - left - 90) / 22;
  const groups = report.groups;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${groups.length * rowH + 10}`, width: '100%', role: 'img', id: 'quality-groups',
    'aria-label': t('quality.groups_chart') });
  groups.forEach((g, i) => {
    const y = i * rowH + 6;
    chart.append(svg('g', { 'data-group': g.code },
      svg('text', { x: 0, y: y + 18, class: 'chart-label' }, loc(g.name)),
      svg('rect', { x: left, y, width: g.max_points * scale, height: 22, class: 'chart-max' }),
      g.measured_max ? svg('rect', { x: left, y, width: g.measured_max * scale, height: 22, class: 'chart-measurable' }) : null,
      g.points ? svg('rect', { x: left, y, width: g.points * scale, height: 22, class: 'chart-bar' }) : null,
      svg('text', { x: left + g.max_points * scale + 6, y: y + 16, class: 'chart-value' },
        g.points !== null ? `${num(g.points)} / ${num(g.measured_max, 0)}` : rateOnly(g))));
  });
  return chart;
}

// A group without points may still have a measured rate (satisfaction: the source gives no split).
function rateOnly(group) {
  const measured = group.indicators.find((i) => i.measured && i.rate !== null);
  return measured ? t('quality.rate_only', { rate: pct(measured.rate) }) : t('quality.not_measured_short');
}

// Month by month, the share of the points Hoso can measure that the agency earned (the
// measurable maximum changes with what each month holds). A month that received no dossier
// has no index: no dot, and the line breaks there rather than falling to zero.
function trendChart(months) {
  const W = 640;
  const H = 180;
  const pad = 30;
  const left = 56; // room for the "100%" tick
  const x = (i) => left + (i * (W - left - pad)) / Math.max(1, months.length - 1);
  const y = (share) => H - pad - share * (H - 2 * pad);
  const share = (m) => (m.received && m.measured_max ? m.points / m.measured_max : null);
  const runs = [[]];
  months.forEach((m, i) => {
    if (share(m) === null) runs.push([]);
    else runs[runs.length - 1].push(`${x(i)},${y(share(m))}`);
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: 'quality-trend', 'aria-label': t('quality.trend_chart') },
    svg('line', { x1: left, y1: H - pad, x2: W - pad, y2: H - pad, class: 'chart-axis' }),
    [0, 0.5, 1].map((v) => svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-tick' }, `${v * 100}%`)),
    runs.filter((r) => r.length > 1).map((r) => svg('polyline', { points: r.join(' '), class: 'chart-line', fill: 'none' })),
    months.map((m, i) => svg('g', { 'data-month': m.month },
      share(m) === null ? svg('title', {}, t('quality.no_dossiers', { month: m.month }))
        : svg('circle', { cx: x(i), cy: y(share(m)), r: 4, class: 'chart-dot' }, svg('title', {},
          t('quality.month_share', { month: m.month, points: num(m.points), max: num(m.measured_max, 0), share: pct(share(m)) }))),
      svg('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'chart-tick' }, m.month.slice(5)))));
}

const STEPS = ['opened', 'started', 'submitted', 'accepted', 'returned'];
function funnelChart(proc) {
  const W = 520;
  const rowH = 26;
  const top = Math.max(1, ...STEPS.map((s) => proc.funnel[s]));
  return svg('svg', { viewBox: `0 0 ${W} ${STEPS.length * rowH}`, width: '100%', role: 'img', class: 'funnel',
    'data-procedure': proc.procedure_code, 'aria-label': t('quality.funnel_chart') },
  STEPS.map((s, i) => svg('g', { 'data-step': s },
    svg('text', { x: 0, y: i * rowH + 17, class: 'chart-label' }, t(`quality.step.${s}`)),
    svg('rect', { x: 130, y: i * rowH + 4, width: Math.max(1, (proc.funnel[s] / top) * (W - 200)), height: 18, class: 'chart-bar' }),
    svg('text', { x: 136 + (proc.funnel[s] / top) * (W - 200), y: i * rowH + 17, class: 'chart-value' }, num(proc.funnel[s], 0)))));
}

function indicatorTable(report) {
  return h('table.indicators', h('thead', h('tr', ['quality.indicator', 'quality.formula', 'quality.value', 'quality.points']
    .map((k) => h('th', { scope: 'col' }, t(k))))),
  h('tbody', report.groups.flatMap((g) => g.indicators.map((i) => h('tr', { 'data-indicator': i.code, class: i.measured ? '' : 'not-measured' },
    h('td', loc(i.name)),
    h('td', loc(i.formula) || '—', i.note ? h('p.help', loc(i.note)) : null),
    h('td', i.measured ? `${num(i.numerator, 0)} / ${num(i.denominator, 0)} = ${pct(i.rate)}` : t('quality.not_measured')),
    h('td', i.points === null ? (i.measured ? t('quality.no_weight') : '—') : `${num(i.points)} / ${num(i.max_points, 0)}`))))));
}

const RULES = ['required', 'pattern', 'date', 'date_min', 'date_max', 'min_length', 'max_length', 'missing', 'option', 'min', 'max', 'national_id', 'phone', 'address_incomplete'];
const ruleText = (rule) => (RULES.includes(rule) ? t(`quality.rule.${rule}`) : rule);
const minutes = (ms) => (ms === null || ms === undefined ? '—' : t('quality.minutes', { n: num(ms / 60000, 1) }));

async function labelsOf(code, version) {
  const out = {};
  try {
    const form = (await getForm(code, version)).form;
    for (const s of form.sections || []) {
      out[`section:${s.id}`] = loc(s.title);
      for (const f of s.fields || []) {
        out[f.name] = loc(f.label);
        for (const sub of f.fields || []) out[`${f.name}.${sub.name}`] = `${loc(f.label)}: ${loc(sub.label)}`;
      }
    }
    for (const d of form.documents || []) out[`documents.${d.code}`] = loc(d.label);
  } catch { /* labels are a nicety: the names stay */ }
  return out;
}

async function funnelSection(data, procs) {
  const box = h('section', { id: 'quality-funnel', 'aria-labelledby': 'funnel-h' }, h('h2', { id: 'funnel-h' }, t('quality.funnel')),
    h('p.help', t('quality.funnel_note')));
  for (const p of data.procedures) {
    const proc = procs.get(p.procedure_code);
    const labels = await labelsOf(p.procedure_code, proc && proc.current_version);
    box.append(h('article.card', { 'data-procedure': p.procedure_code },
      h('h3', proc ? loc(proc.name) : p.procedure_code), funnelChart(p),
      h('p', t('quality.median_fill'), ' ', h('strong', minutes(p.median_fill_ms))),
      p.failing_fields.length ? h('div', h('h4', t('quality.failing_fields')), h('ol.failing', p.failing_fields.map((f) =>
        h('li', h('strong', labels[f.field] || f.field), ` — ${ruleText(f.rule)}: ${num(f.count, 0)}`)))) : null,
      p.left_at.length ? h('div', h('h4', t('quality.left_at')), h('ol', p.left_at.map((s) =>
        h('li', `${labels[`section:${s.section}`] || s.section || '—'}: ${num(s.count, 0)}`)))) : null));
  }
  if (data.networks.length) {
    box.append(h('h3', t('quality.networks')), h('table.networks',
      h('thead', h('tr', ['quality.network', 'quality.sync_attempts', 'quality.sync_failure_rate', 'quality.upload_failures', 'quality.payment_failures']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', data.networks.map((n) => h('tr', { 'data-network': n.network },
        h('td', n.network), h('td', num(n.sync_attempts, 0)), h('td', pct(n.sync_failure_rate)),
        h('td', num(n.upload_failures + n.upload_retries, 0)), h('td', num(n.payment_failures, 0)))))));
  }
  return box;
}

function ratingItem(r, procs) {
  const li = h('li.card', { 'data-dossier': r.dossier_id },
    h('p', h('strong', `${r.level} – ${t(`rate.${r.level}`)}`), ` · ${r.receipt_code || ''} · ${loc((procs.get(r.procedure_code) || {}).name) || r.procedure_code} · ${fmtDate(r.rated_at)}`),
    r.reasons.length ? h('p.muted', r.reasons.map((c) => t(`rate.reason.${c}`)).join(', ')) : null,
    r.comment ? h('blockquote', r.comment) : null);
  if (r.answer) {
    li.append(h('p.answer', h('strong', t('quality.answered')), ' ', r.answer));
    return li;
  }
  const text = h('textarea', { id: `answer-${r.dossier_id}`, rows: 2, maxlength: 2000 });
  const send = h('button.secondary', { type: 'button' }, t('quality.answer_send'));
  send.addEventListener('click', async () => {
    if (!text.value.trim()) { text.focus(); return; }
    send.disabled = true;
    try {
      const done = await api.post(`/api/v1/quality/ratings/${r.dossier_id}/answer`, { answer: text.value });
      li.replaceWith(ratingItem(done, procs));
      toast(t('quality.answer_sent'));
    } catch (err) { toast(problemText(err), 'error'); send.disabled = false; }
  });
  li.append(h('div.field', h('label', { for: `answer-${r.dossier_id}` }, t('quality.answer')), text), send);
  return li;
}

async function ratingsSection(q, procs) {
  const page = await api.get(`/api/v1/quality/ratings?from=${q.from}&to=${q.to}&commented=true&per_page=20`);
  return h('section', { id: 'quality-ratings', 'aria-labelledby': 'ratings-h' }, h('h2', { id: 'ratings-h' }, t('quality.ratings', { n: page.total })),
    page.items.length ? h('ul.cards', page.items.map((r) => ratingItem(r, procs))) : h('p.muted', t('quality.no_ratings')));
}

async function downloadCsv(q) {
  try {
    const r = await api.send('GET', `/api/v1/quality/index.csv?from=${q.from}&to=${q.to}`);
    if (!r.ok) throw new api.ApiError(r.status, await r.json().catch(() => null));
    const url = URL.createObjectURL(new Blob([await r.blob()], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `chi-so-766-${q.from}-${q.to}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) { toast(problemText(err), 'error'); }
}

export async function renderQuality(main, params) {
  const user = api.currentUser();
  if (!user || user.kind !== 'official') { location.hash = '#/login'; return; }
  document.body.classList.add('wide');
  const query = new URLSearchParams(params.query || '');
  // By default the last six months: enough dossiers to read, even on the 1st of a month.
  const [, defFrom, defTo] = presets().find(([k]) => k === 'half');
  const q = { from: query.get('from') || defFrom, to: query.get('to') || defTo };
  const procs = new Map((await getCatalog().catch(() => [])).map((p) => [p.code, p]));
  const go = (from, to) => { location.hash = `#/quality?from=${from}&to=${to}`; };
  const form = h('form.filters', { role: 'search' },
    // dd/mm/yyyy whatever the PC's locale, as everywhere in the desk.
    h('div.field', h('label', { for: 'q-from' }, t('quality.from')),
      h('input', { id: 'q-from', value: dateForDisplay(q.from), placeholder: 'dd/mm/yyyy', size: 10, inputmode: 'numeric' })),
    h('div.field', h('label', { for: 'q-to' }, t('quality.to')),
      h('input', { id: 'q-to', value: dateForDisplay(q.to), placeholder: 'dd/mm/yyyy', size: 10, inputmode: 'numeric' })),
    h('button.primary', { type: 'submit' }, t('quality.show')),
    presets().map(([k, from, to]) => h('button.secondary', { type: 'button', onclick: () => go(from, to) }, t(`quality.preset.${k}`))));
  form.addEventListener('submit', (e) => { e.preventDefault(); go(dateFromTyped(form.querySelector('#q-from').value), dateFromTyped(form.querySelector('#q-to').value)); });
  const parts = [form];
  if (user.role === 'leader') {
    try {
      const [report, trend, funnel] = await Promise.all([
        api.get(`/api/v1/quality/index?from=${q.from}&to=${q.to}`),
        api.get('/api/v1/quality/trend?months=12'),
        api.get(`/api/v1/quality/funnel?from=${q.from}&to=${q.to}`)]);
      parts.push(
        h('section', { 'aria-labelledby': 'index-h' },
          h('h2', { id: 'index-h' }, t('quality.index')),
          h('p.score', h('strong', { id: 'quality-points' }, num(report.points)), ` / ${num(report.measured_max, 0)} `, t('quality.measurable_points')),
          h('p.help', t('quality.scale_note')),
          h('div.actions', h('button.secondary', { type: 'button', id: 'quality-csv', onclick: () => downloadCsv(q) }, t('quality.csv'))),
          groupsChart(report),
          h('p.muted', t('quality.progress_line', { received: num(report.progress.received, 0), carried: num(report.progress.carried_over, 0),
            late: num(report.progress.finished_late + report.progress.open_late, 0) }))),
        h('section', { 'aria-labelledby': 'trend-h' }, h('h2', { id: 'trend-h' }, t('quality.trend')), trendChart(trend.months)),
        h('section', { 'aria-labelledby': 'ind-h' }, h('h2', { id: 'ind-h' }, t('quality.indicators')), indicatorTable(report)),
        await funnelSection(funnel, procs));
    } catch (err) {
      parts.push(h('p.notice.warn', { role: 'alert' }, problemText(err)));
    }
  }
  try { parts.push(await ratingsSection(q, procs)); } catch (err) { parts.push(h('p.notice.warn', { role: 'alert' }, problemText(err))); }
  title(main, t('quality.title'), h('p', h('a', { href: '#/office' }, t('nav.office'))), ...parts);
  return () => document.body.classList.remove('wide');
}

// Dates in forms, a mirror of app/services/form_dates.py: ISO values, bounds relative to today
// ("today-6y") and how a date is shown in a message. Days are counted since 1970-01-01.
const DAY = 86400000;

// Days since 1970-01-01 for a valid ISO date string of 10 characters, else null
// (date.fromisoformat in Python 3.11: YYYY-MM-DD and the week form YYYY-Www-D).
export function parseDate(value) {
  if (typeof value !== 'string' || value.length !== 10) return null;
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) {
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    if (y < 1 || mo < 1 || mo > 12 || d < 1) return null;
    const dt = new Date(0);
    dt.setUTCFullYear(y, mo - 1, d); // Date.UTC would read years 0–99 as 1900–1999
    if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
    const t = dt.getTime();
    return Math.round(t / DAY);
  }
  m = /^(\d{4})-W(\d{2})-(\d)$/.exec(value);
  if (m) {
    const [y, w, wd] = [+m[1], +m[2], +m[3]];
    if (y < 1 || w < 1 || wd < 1 || wd > 7) return null;
    const j = new Date(0);
    j.setUTCFullYear(y, 0, 4);
    const jan4 = j.getTime();
    const week1 = jan4 / DAY - ((new Date(jan4).getUTCDay() + 6) % 7);
    if (w === 53) {
      const e = new Date(0);
      e.setUTCFullYear(y, 11, 28); // the last ISO week of a year holds 28 December
      const dec28 = e.getTime() / DAY;
      const lastWeek = Math.floor((dec28 - week1) / 7) + 1;
      if (lastWeek < 53) return null;
    } else if (w > 53) return null;
    return week1 + (w - 1) * 7 + (wd - 1);
  }
  return null;
}

export function isoDate(days) {
  return new Date(days * DAY).toISOString().slice(0, 10);
}

// Today's date in Vietnam, as the server counts it.
export function todayDays() {
  const s = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
  return parseDate(s);
}

// Days since 1970-01-01 of a (proleptic Gregorian) year, month (0–11) and day.
function dayNumber(y, month0, d) {
  const dt = new Date(0);
  dt.setUTCFullYear(y, month0, d);
  return Math.round(dt.getTime() / DAY);
}

// "today", or today plus/minus days, months or years (form_dates.py RELATIVE): today-6y.
const RELATIVE = /^today(?:([+-])([0-9]{1,4})([dmy]))?$/;

// The day a date bound stands for on `today` (form_dates.resolve_date): a month's last day
// where it is shorter (31 May - 3m = 28/29 Feb); null outside years 1–9999 or for no bound.
export function resolveDate(spec, today) {
  if (typeof spec !== 'string') return null;
  const m = RELATIVE.exec(spec);
  if (!m) return parseDate(spec);
  if (m[1] === undefined) return today;
  const count = Number(m[2]) * (m[1] === '+' ? 1 : -1);
  if (m[3] === 'd') {
    const year = new Date((today + count) * DAY).getUTCFullYear();
    return year >= 1 && year <= 9999 ? today + count : null;
  }
  const now = new Date(today * DAY);
  const total = now.getUTCFullYear() * 12 + now.getUTCMonth() + count * (m[3] === 'y' ? 12 : 1);
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  if (year < 1 || year > 9999) return null;
  const last = new Date(dayNumber(year, month0 + 1, 0) * DAY).getUTCDate();
  return dayNumber(year, month0, Math.min(now.getUTCDate(), last));
}

// The app's date format in messages: ngày/tháng/năm (form_dates.display_date).
export function displayDate(days) {
  const d = new Date(days * DAY);
  const p = (n, w) => String(n).padStart(w, '0');
  return `${p(d.getUTCDate(), 2)}/${p(d.getUTCMonth() + 1, 2)}/${p(d.getUTCFullYear(), 4)}`;
}

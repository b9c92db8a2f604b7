import { addDays } from '../core/clock.ts';
import { addMonths, monthEnd } from '../reports/periods.ts';

/** A date range named in a question, resolved against "today" (pure, so tests fix the day). */
export type Period = { from: string; to: string; label: string };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const pad = (n: number) => String(n).padStart(2, '0');
const lastDayOf = (year: number, month: number) => monthEnd(`${year}-${pad(month)}-01`);

/**
 * Finds the period a question names: last/this month, quarter, year, year to date,
 * the last N days/weeks/months, or a month by name (the latest one not in the
 * future, unless a year is given). Null when the question names none.
 */
export function periodIn(question: string, today: string): Period | null {
  const q = question.toLowerCase();
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  const quarter = Math.floor((month - 1) / 3);

  const n = /\b(?:last|past|previous)\s+(\d{1,3})\s+(day|week|month)s?\b/.exec(q);
  if (n) {
    const count = Number(n[1]);
    const days = n[2] === 'day' ? count : n[2] === 'week' ? count * 7 : Math.round(count * 30.4);
    return { from: addDays(today, -(days - 1)), to: today, label: `the last ${count} ${n[2]}${count === 1 ? '' : 's'}` };
  }
  if (/\b(last|previous|past) month\b/.test(q)) {
    const y = month === 1 ? year - 1 : year;
    const m = month === 1 ? 12 : month - 1;
    return { from: `${y}-${pad(m)}-01`, to: lastDayOf(y, m), label: `${cap(MONTHS[m - 1])} ${y}` };
  }
  if (/\b(this month|month to date|mtd)\b/.test(q)) return { from: `${today.slice(0, 7)}-01`, to: today, label: 'this month so far' };
  if (/\b(last|previous|past) quarter\b/.test(q)) {
    const y = quarter === 0 ? year - 1 : year;
    const qq = quarter === 0 ? 3 : quarter - 1;
    return { from: `${y}-${pad(qq * 3 + 1)}-01`, to: lastDayOf(y, qq * 3 + 3), label: `Q${qq + 1} ${y}` };
  }
  if (/\b(this quarter|quarter to date|qtd)\b/.test(q)) return { from: `${year}-${pad(quarter * 3 + 1)}-01`, to: today, label: `Q${quarter + 1} ${year} so far` };
  if (/\b(last|previous) year\b/.test(q)) return { from: `${year - 1}-01-01`, to: `${year - 1}-12-31`, label: String(year - 1) };
  if (/\b(this year|year to date|ytd)\b/.test(q)) return { from: `${year}-01-01`, to: today, label: `${year} so far` };
  if (/\byesterday\b/.test(q)) {
    const d = addDays(today, -1);
    return { from: d, to: d, label: 'yesterday' };
  }
  if (/\btoday\b/.test(q)) return { from: today, to: today, label: 'today' };

  const named = new RegExp(`\\b(${MONTHS.join('|')}|${MONTHS.map((m) => m.slice(0, 3)).join('|')})\\b(?:\\s+(\\d{4}))?`).exec(q);
  if (named && !(named[1] === 'may' && !named[2] && !/\bin may\b/.test(q))) {
    const m = MONTHS.findIndex((name) => name.startsWith(named[1])) + 1;
    const y = named[2] ? Number(named[2]) : m > month ? year - 1 : year;
    const to = lastDayOf(y, m) > today ? today : lastDayOf(y, m);
    return { from: `${y}-${pad(m)}-01`, to, label: `${cap(MONTHS[m - 1])} ${y}` };
  }
  return null;
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

/** Two periods to set side by side: the one asked about and the one it is measured against. */
export type Comparison = { current: Period; previous: Period };

const MONTH_LABEL = (from: string) => `${cap(MONTHS[Number(from.slice(5, 7)) - 1])} ${from.slice(0, 4)}`;

/** The same days one month earlier, clipped to that month's end (Mar 1–31 → Feb 1–28). */
function monthEarlier(p: { from: string; to: string }): { from: string; to: string } {
  const from = addMonths(p.from, -1);
  const end = monthEnd(from);
  const to = addMonths(p.to, -1);
  return { from, to: to > end ? end : to };
}

/**
 * The periods a comparison or a "why did it change" question means, like with like:
 * a month so far against the same days of the month before, a whole month against the
 * whole month before, a quarter or a year so far against the same days one quarter or
 * year earlier, a whole quarter or year against the one before. Without a period
 * named: the last complete month against the one before it.
 */
export function comparisonIn(question: string, today: string): Comparison {
  const q = question.toLowerCase();
  const year = Number(today.slice(0, 4));
  const wholeMonth = (from: string): Period => ({ from, to: monthEnd(from), label: MONTH_LABEL(from) });
  if (/\b(this month|month to date|mtd)\b/.test(q)) {
    const current = { from: `${today.slice(0, 7)}-01`, to: today };
    const previous = monthEarlier(current);
    return { current: { ...current, label: 'this month so far' }, previous: { ...previous, label: `the same days of ${MONTH_LABEL(previous.from)}` } };
  }
  if (/\b(this quarter|quarter to date|qtd)\b/.test(q)) {
    const from = `${year}-${pad(Math.floor((Number(today.slice(5, 7)) - 1) / 3) * 3 + 1)}-01`;
    const prevFrom = addMonths(from, -3);
    const prevTo = addMonths(today, -3);
    return { current: { from, to: today, label: 'this quarter so far' }, previous: { from: prevFrom, to: prevTo, label: 'the same days of the quarter before' } };
  }
  if (/\b(this year|year to date|ytd)\b/.test(q)) {
    return { current: { from: `${year}-01-01`, to: today, label: `${year} so far` }, previous: { from: `${year - 1}-01-01`, to: addMonths(today, -12), label: `the same days of ${year - 1}` } };
  }
  const named = periodIn(q, today);
  if (named && /\b(last|previous|past) quarter\b/.test(q)) {
    const from = addMonths(named.from, -3);
    return { current: named, previous: { from, to: monthEnd(addMonths(from, 2)), label: `the quarter before (${from.slice(0, 7)} to ${addMonths(from, 2).slice(0, 7)})` } };
  }
  if (named && /\b(last|previous) year\b/.test(q)) {
    return { current: named, previous: { from: `${year - 2}-01-01`, to: `${year - 2}-12-31`, label: String(year - 2) } };
  }
  // A whole month (last month, or one named): against the whole month before it.
  const month = named && named.from.endsWith('-01') && named.from.slice(0, 7) === named.to.slice(0, 7) && named.to === monthEnd(named.from) ? named.from : addMonths(`${today.slice(0, 7)}-01`, -1);
  return { current: wholeMonth(month), previous: wholeMonth(addMonths(month, -1)) };
}

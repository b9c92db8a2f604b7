import { addDays } from '../core/clock.ts';
import { monthEnd } from '../reports/periods.ts';

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

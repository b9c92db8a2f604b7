import { addDays } from '../core/clock.ts';

/** Named ranges offered on report pages; `custom` takes explicit dates. */
export const PRESETS = ['last_30_days', 'this_month', 'last_month', 'quarter', 'year_to_date', 'last_12_months', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  last_30_days: 'Last 30 days',
  this_month: 'This month',
  last_month: 'Last month',
  quarter: 'This quarter',
  year_to_date: 'Year to date',
  last_12_months: 'Last 12 months',
  custom: 'Custom range',
};

export type Range = { from: string; to: string };

export function monthStart(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** The last day of the month a date is in. */
export function monthEnd(date: string): string {
  const [y, m] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last))).toISOString().slice(0, 10);
}

/** Whole days from one date to another (to - from). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The dates of a preset as of `today`; a custom range is returned as given. */
export function resolveRange(preset: Preset, today: string, custom?: Partial<Range>): Range {
  switch (preset) {
    case 'this_month':
      return { from: monthStart(today), to: today };
    case 'last_month': {
      const start = addMonths(monthStart(today), -1);
      return { from: start, to: monthEnd(start) };
    }
    case 'quarter': {
      const m = Number(today.slice(5, 7));
      const qStart = Math.floor((m - 1) / 3) * 3 + 1;
      return { from: `${today.slice(0, 4)}-${String(qStart).padStart(2, '0')}-01`, to: today };
    }
    case 'year_to_date':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
    case 'last_12_months':
      return { from: addMonths(monthStart(today), -11), to: today };
    case 'custom':
      if (custom?.from && custom?.to && custom.from <= custom.to) return { from: custom.from, to: custom.to };
      return { from: addDays(today, -29), to: today };
    default:
      return { from: addDays(today, -29), to: today };
  }
}

/** The range of the same length just before. */
export function previousRange({ from, to }: Range): Range {
  const length = daysBetween(from, to) + 1;
  return { from: addDays(from, -length), to: addDays(from, -1) };
}

/** How many months back a preset's comparison lies: a month with the month before, a quarter with the quarter before, a year with the year before. */
const COMPARED_MONTHS_BACK: Partial<Record<Preset, number>> = { this_month: 1, last_month: 1, quarter: 3, year_to_date: 12, last_12_months: 12 };

/**
 * The range a report compares with: for calendar presets the same days one period
 * earlier (year to date with the same days of last year; this month so far with the
 * same days of last month, clipped to its end), a month that runs to its last day
 * with the whole earlier month; for the last 30 days and custom ranges, the range of
 * the same length just before.
 */
export function comparisonRange(preset: Preset, range: Range): Range {
  const back = COMPARED_MONTHS_BACK[preset];
  if (!back) return previousRange(range);
  const to = range.to === monthEnd(range.to) ? monthEnd(addMonths(monthStart(range.to), -back)) : addMonths(range.to, -back);
  return { from: addMonths(range.from, -back), to };
}

/** The months a range touches, as YYYY-MM. */
export function monthsOf({ from, to }: Range): string[] {
  const out: string[] = [];
  for (let m = monthStart(from); m <= to; m = addMonths(m, 1)) out.push(m.slice(0, 7));
  return out;
}

/** Every day of a range, in order. */
export function daysOf({ from, to }: Range): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

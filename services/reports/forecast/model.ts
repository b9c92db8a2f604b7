/**
 * What the forecast learns from a business's history: pure functions, no I/O.
 *
 * A day's operating cash flow is modelled as
 *   recurring items due that day (rent, payroll, subscriptions: detected in the ledger)
 *   + level + slope × t (the trend)
 *   + a weekday offset + a month-of-year offset (when a year of history allows it)
 *   + normal noise with the residual standard deviation.
 */
import { addDays } from '../../core/clock.ts';

export type Cadence = 'weekly' | 'biweekly' | 'monthly' | 'quarterly';

export type RecurringItem = {
  counterparty: string;
  kind: string;
  /** Median amount, signed (money out is negative). */
  amount: number;
  cadence: Cadence;
  intervalDays: number;
  /** For monthly and quarterly items: the usual day of the month. */
  dayOfMonth: number | null;
  last: string;
  occurrences: number;
};

export type LedgerEvent = { occurred_on: string; counterparty: string; kind: string; amount: number };

const CADENCES: { cadence: Cadence; days: number; tolerance: number }[] = [
  { cadence: 'weekly', days: 7, tolerance: 1 },
  { cadence: 'biweekly', days: 14, tolerance: 2 },
  { cadence: 'monthly', days: 30.44, tolerance: 4 },
  { cadence: 'quarterly', days: 91.3, tolerance: 7 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 86_400_000;
}

/**
 * Items that come back: the same counterparty and kind, at least three times, at a
 * regular interval (every gap within the cadence's tolerance), for similar amounts
 * (every amount within 25 % of the median), and not stopped (the last one is no
 * older than 1.5 intervals before `asOf`).
 */
export function detectRecurring(events: LedgerEvent[], asOf: string): RecurringItem[] {
  const groups = new Map<string, LedgerEvent[]>();
  for (const e of events) {
    if (!e.counterparty) continue;
    const key = `${e.kind}\u0000${e.counterparty}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(e);
  }
  const out: RecurringItem[] = [];
  for (const list of groups.values()) {
    if (list.length < 3) continue;
    list.sort((a, b) => (a.occurred_on < b.occurred_on ? -1 : 1));
    const gaps: number[] = [];
    for (let i = 1; i < list.length; i++) gaps.push(dayNumber(list[i].occurred_on) - dayNumber(list[i - 1].occurred_on));
    const typical = median(gaps);
    const cadence = CADENCES.find((c) => Math.abs(typical - c.days) <= c.tolerance);
    if (!cadence) continue;
    if (!gaps.every((g) => Math.abs(g - cadence.days) <= cadence.tolerance)) continue;
    const amount = median(list.map((e) => e.amount));
    if (amount === 0 || !list.every((e) => Math.abs(e.amount - amount) <= Math.abs(amount) * 0.25)) continue;
    const last = list[list.length - 1].occurred_on;
    if (dayNumber(asOf) - dayNumber(last) > cadence.days * 1.5) continue;
    out.push({
      counterparty: list[0].counterparty,
      kind: list[0].kind,
      amount: Math.round(amount),
      cadence: cadence.cadence,
      intervalDays: cadence.days,
      dayOfMonth: cadence.days > 20 ? Math.round(median(list.map((e) => Number(e.occurred_on.slice(8, 10))))) : null,
      last,
      occurrences: list.length,
    });
  }
  return out.sort((a, b) => a.amount - b.amount);
}

/** The days (0 = the day after `asOf`) on which each recurring item falls due within the horizon. */
export function recurringSchedule(items: RecurringItem[], asOf: string, horizon: number): Float64Array {
  const flow = new Float64Array(horizon);
  const start = dayNumber(asOf);
  for (const item of items) {
    if (item.dayOfMonth !== null) {
      const step = item.cadence === 'quarterly' ? 3 : 1;
      const [y, m] = item.last.split('-').map(Number);
      for (let k = step; ; k += step) {
        const first = new Date(Date.UTC(y, m - 1 + k, 1));
        const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
        const due: number = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(item.dayOfMonth, lastDay)) / 86_400_000;
        const i: number = due - start - 1;
        if (i >= horizon) break;
        if (i >= 0) flow[i] += item.amount;
      }
    } else {
      for (let due: number = dayNumber(item.last) + item.intervalDays; due - start - 1 < horizon; due += item.intervalDays) {
        const i = due - start - 1;
        if (i >= 0) flow[i] += item.amount;
      }
    }
  }
  return flow;
}

export type FlowModel = {
  /** Trend value on the last known day, and its change per day. */
  level: number;
  slope: number;
  weekday: number[];
  /** Offsets by month of the year (index 0 = January); all zero with less than a year of history. */
  month: number[];
  sigma: number;
  daysUsed: number;
};

/**
 * Fits trend, weekly and yearly seasonality and daily volatility to the non-recurring
 * daily flow (`flows[i]` is the day `firstDay + i`; the last element is the last known day).
 * Uses at most the last 365 days; the slope is fitted on the last 180 and damped to
 * what the history can support, so two good weeks do not extrapolate to the moon.
 */
export function fitFlows(flows: ArrayLike<number>, firstDay: string): FlowModel {
  const n = Math.min(flows.length, 365);
  const off = flows.length - n;
  const ys: number[] = [];
  const dates: string[] = [];
  for (let i = 0; i < n; i++) {
    ys.push(flows[off + i]);
    dates.push(addDays(firstDay, off + i));
  }
  const mean = ys.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const month = new Array(12).fill(0);
  if (n >= 365) {
    const sums = new Array(12).fill(0);
    const counts = new Array(12).fill(0);
    for (let i = 0; i < n; i++) {
      const m = Number(dates[i].slice(5, 7)) - 1;
      sums[m] += ys[i];
      counts[m]++;
    }
    for (let m = 0; m < 12; m++) month[m] = counts[m] ? sums[m] / counts[m] - mean : 0;
  }
  const deseason = ys.map((y, i) => y - month[Number(dates[i].slice(5, 7)) - 1]);
  // Trend: least squares over the last 180 days (or all there is).
  const tn = Math.min(n, 180);
  const t0 = n - tn;
  let sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (let i = t0; i < n; i++) {
    const x = i - (n - 1);
    sx += x;
    sy += deseason[i];
    sxx += x * x;
    sxy += x * deseason[i];
  }
  const denom = tn * sxx - sx * sx;
  let slope = tn > 30 && denom !== 0 ? (tn * sxy - sx * sy) / denom : 0;
  const level0 = tn ? (sy - slope * sx) / tn : 0;
  const detrended = deseason.map((y, i) => y - (level0 + slope * (i - (n - 1))));
  const wsum = new Array(7).fill(0);
  const wcount = new Array(7).fill(0);
  for (let i = t0; i < n; i++) {
    const dow = new Date(`${dates[i]}T00:00:00Z`).getUTCDay();
    wsum[dow] += detrended[i];
    wcount[dow]++;
  }
  const weekday = wsum.map((s, d) => (wcount[d] ? s / wcount[d] : 0));
  let ss = 0;
  for (let i = t0; i < n; i++) {
    const dow = new Date(`${dates[i]}T00:00:00Z`).getUTCDay();
    ss += (detrended[i] - weekday[dow]) ** 2;
  }
  const sigma = tn > 1 ? Math.sqrt(ss / (tn - 1)) : 0;
  // A slope that is not clearly different from zero is noise; keep only what is.
  const slopeSe = denom > 0 ? sigma * Math.sqrt(tn / denom) : Infinity;
  if (Math.abs(slope) < 2 * slopeSe) slope = 0;
  return { level: level0, slope, weekday, month, sigma, daysUsed: n };
}

/** Expected flow of each future day: the fitted flow plus recurring items (and any scenario's extra flow). */
export function dailyMeans(model: FlowModel, asOf: string, recurring: Float64Array, extra?: Float64Array): Float64Array {
  const horizon = recurring.length;
  const mean = new Float64Array(horizon);
  let date = asOf;
  for (let h = 0; h < horizon; h++) {
    date = addDays(date, 1);
    const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
    const m = Number(date.slice(5, 7)) - 1;
    mean[h] = model.level + model.slope * (h + 1) + model.weekday[dow] + model.month[m] + recurring[h] + (extra ? extra[h] : 0);
  }
  return mean;
}

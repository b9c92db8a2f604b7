/**
 * What the forecast learns from a business's history: pure functions, no I/O.
 *
 * A day's operating cash flow is modelled as
 *   recurring items due that day (rent, payroll, subscriptions: detected in the ledger)
 *   + level + slope × t (the trend)
 *   + a weekday offset + a month-of-year offset (when a year of history shows one)
 *   + normal noise with the residual standard deviation
 *   + a shift of the level drawn once per simulated future (how far the fitted level
 *     may be off: see levelUncertainty).
 */
import { addDays } from '../../core/clock.ts';

export type Cadence = 'weekly' | 'biweekly' | 'semimonthly' | 'monthly' | 'quarterly';

export type RecurringItem = {
  counterparty: string;
  kind: string;
  /** Median amount, signed (money out is negative). */
  amount: number;
  cadence: Cadence;
  intervalDays: number;
  /** For monthly, quarterly and semimonthly items: the usual day of the month. */
  dayOfMonth: number | null;
  /** For semimonthly items: the second day, counted from the month's end (31 = its last day, 30 = the day before). */
  secondDayOfMonth?: number;
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

// Weekday and month of a day number (days since 1970-01-01) by arithmetic: the fit runs
// some sixty times per forecast (spreadFor), and date strings made it 60 times slower.
/** 0 = Sunday, as Date#getUTCDay. 1970-01-01 was a Thursday. */
function weekdayOf(dn: number): number {
  return (((dn + 4) % 7) + 7) % 7;
}

/** 0 = January (Howard Hinnant's civil-from-days). */
function monthOf(dn: number): number {
  const z = dn + 719_468;
  const doe = z - Math.floor(z / 146_097) * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return mp < 10 ? mp + 2 : mp - 10;
}

const SEMIMONTHLY_DAYS = 365.25 / 24;

/** A date's day of the month, and the same day counted from the month's end (31 = the last day). */
function dayOfMonth(date: string): { day: number; fromEnd: number } {
  const [y, m, d] = date.split('-').map(Number);
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { day: d, fromEnd: 31 - (lastDay - d) };
}

/**
 * Twice a month on the same two days (payroll on the 15th and the last day): every gap
 * 12 to 18 days, every date within three days of one of two days of the month, the first
 * counted from the month's start and the second from its end. Fortnightly items drift
 * through the month, so they are not mistaken for these. The two days, or null.
 */
function semimonthlyDays(dates: string[], gaps: number[]): [number, number] | null {
  if (dates.length < 4 || !gaps.every((g) => g >= 12 && g <= 18)) return null;
  const early: number[] = [];
  const late: number[] = [];
  for (const d of dates) {
    const { day, fromEnd } = dayOfMonth(d);
    if (day <= 20) early.push(day);
    else late.push(fromEnd);
  }
  const narrow = (xs: number[]) => xs.length > 0 && Math.max(...xs) - Math.min(...xs) <= 3;
  return narrow(early) && narrow(late) ? [Math.round(median(early)), Math.round(median(late))] : null;
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
    const semimonthly = semimonthlyDays(
      list.map((e) => e.occurred_on),
      gaps,
    );
    const cadence = semimonthly ? { cadence: 'semimonthly' as const, days: SEMIMONTHLY_DAYS, tolerance: 3 } : CADENCES.find((c) => Math.abs(typical - c.days) <= c.tolerance);
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
      dayOfMonth: semimonthly ? semimonthly[0] : cadence.days > 20 ? Math.round(median(list.map((e) => Number(e.occurred_on.slice(8, 10))))) : null,
      ...(semimonthly ? { secondDayOfMonth: semimonthly[1] } : {}),
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
    if (item.secondDayOfMonth !== undefined && item.dayOfMonth !== null) {
      const [y, m] = item.last.split('-').map(Number);
      for (let k = 0; ; k++) {
        const first = new Date(Date.UTC(y, m - 1 + k, 1));
        const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
        const monthStart: number = first.getTime() / 86_400_000 - 1;
        if (monthStart - start - 1 >= horizon) break;
        for (const day of [item.dayOfMonth, lastDay - (31 - item.secondDayOfMonth)] as number[]) {
          const due: number = monthStart + Math.min(day, lastDay);
          const i: number = due - start - 1;
          if (due > dayNumber(item.last) && i >= 0 && i < horizon) flow[i] += item.amount;
        }
      }
    } else if (item.dayOfMonth !== null) {
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
  const months: number[] = [];
  const weekdays: number[] = [];
  const d0 = dayNumber(firstDay) + off;
  for (let i = 0; i < n; i++) {
    ys.push(flows[off + i]);
    months.push(monthOf(d0 + i));
    weekdays.push(weekdayOf(d0 + i));
  }
  const mean = ys.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const month = new Array(12).fill(0);
  if (n >= 365) {
    const sums = new Array(12).fill(0);
    const counts = new Array(12).fill(0);
    for (let i = 0; i < n; i++) {
      const m = months[i];
      sums[m] += ys[i];
      counts[m]++;
    }
    // One year shows each month once: an offset within two standard errors of zero is
    // that year's noise, not a season (a studio's lumpy invoices), and is dropped.
    const sd = Math.sqrt(ys.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n - 1));
    for (let m = 0; m < 12; m++) {
      const offset = counts[m] ? sums[m] / counts[m] - mean : 0;
      month[m] = counts[m] && Math.abs(offset) >= (2 * sd) / Math.sqrt(counts[m]) ? offset : 0;
    }
  }
  const deseason = ys.map((y, i) => y - month[months[i]]);
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
  const slope = tn > 30 && denom !== 0 ? (tn * sxy - sx * sy) / denom : 0;
  const level0 = tn ? (sy - slope * sx) / tn : 0;
  const detrended = deseason.map((y, i) => y - (level0 + slope * (i - (n - 1))));
  const wsum = new Array(7).fill(0);
  const wcount = new Array(7).fill(0);
  for (let i = t0; i < n; i++) {
    const dow = weekdays[i];
    wsum[dow] += detrended[i];
    wcount[dow]++;
  }
  const weekday = wsum.map((s, d) => (wcount[d] ? s / wcount[d] : 0));
  let ss = 0;
  for (let i = t0; i < n; i++) {
    const dow = weekdays[i];
    ss += (detrended[i] - weekday[dow]) ** 2;
  }
  const sigma = tn > 1 ? Math.sqrt(ss / (tn - 1)) : 0;
  // A slope that is not clearly different from zero is noise; keep only what is.
  const slopeSe = denom > 0 ? sigma * Math.sqrt(tn / denom) : Infinity;
  if (Math.abs(slope) >= 2 * slopeSe) return { level: level0, slope, weekday, month, sigma, daysUsed: n };
  // Without the slope, the level is the window's mean, not where the noisy line ended.
  return { level: tn ? sy / tn : 0, slope: 0, weekday, month, sigma, daysUsed: n };
}

/** Expected flow of each future day: the fitted flow plus recurring items (and any scenario's extra flow). */
export function dailyMeans(model: FlowModel, asOf: string, recurring: Float64Array, extra?: Float64Array): Float64Array {
  const horizon = recurring.length;
  const mean = new Float64Array(horizon);
  const start = dayNumber(asOf);
  for (let h = 0; h < horizon; h++) {
    const dn = start + h + 1;
    mean[h] = model.level + model.slope * (h + 1) + model.weekday[weekdayOf(dn)] + model.month[monthOf(dn)] + recurring[h] + (extra ? extra[h] : 0);
  }
  return mean;
}

/** Horizons (days) on which earlier fits are checked. */
const CHECK_HORIZONS = [30, 90];
/** Days between the earlier origins checked, how far back they go, and the history a fit needs. */
const CHECK_STEP = 7;
const CHECK_LOOKBACK = 455;
const CHECK_MIN_HISTORY = 120;
/** Fewer misses than this say too little to scale by. */
const MIN_CHECKS = 10;
/** z of the 90th percentile of a normal: P10–P90 is ±1.2816 σ. */
const Z80 = 1.2815515655446004;

export type Spread = {
  /** Standard deviation of a day's flow around its mean, as simulated. */
  sigma: number;
  /** Standard deviation of a shift of the whole path's daily mean, drawn once per simulated future. */
  levelSigma: number;
  /** How many times wider than the fit alone the history says the noise and the level's error must be (1 = as fitted). */
  scale: number;
  levelScale: number;
  /** Forecast errors the scale was learned from. */
  checks: number;
};

/**
 * How widely to simulate around the fitted means, learned from how far the model missed on
 * this business's own past.
 *
 * The fit alone says: day-to-day noise σ, and a level known to a mean's standard error
 * (σ ÷ √days fitted; the same shift on every day of a path, so it grows with the horizon
 * as parameter uncertainty does). That can be far off either way: a business's level
 * moves (a season the last year did not show, a lost client, a trend that breaks), and a
 * studio's lumpy invoices are no independent daily draws. So the model forecasts from
 * earlier days of the same history (weekly origins over the last fifteen months, each fit
 * seeing only what came before it) and checks the flow it expected over 30, 60 and 90 days
 * against what came. The 80th percentile of the misses, in the fit's own standard
 * deviations, over 1.2816 is how much to widen (or narrow) both parts so that 80 % of those
 * misses would have fallen inside the P10–P90 band. A model that knows the seasons is
 * checked by fits that knew them too (a year of history) when there are enough of those.
 * Between a half and four times. With too few misses to learn from (under five months of
 * history), as fitted, but with the level as uncertain as its 30-day averages were (wander).
 */
/**
 * Without misses to learn from (under five months of history), how far the level may be
 * from the fitted one: as far as the history's own 30-day averages were from each other
 * (their standard deviation), over the last year. 0 with fewer than two whole months.
 */
function wander(flows: ArrayLike<number>): number {
  const means: number[] = [];
  for (let end = flows.length; end - 30 >= Math.max(0, flows.length - 365); end -= 30) {
    let sum = 0;
    for (let i = end - 30; i < end; i++) sum += flows[i];
    means.push(sum / 30);
  }
  if (means.length < 2) return 0;
  const m = means.reduce((s, v) => s + v, 0) / means.length;
  return Math.sqrt(means.reduce((s, v) => s + (v - m) ** 2, 0) / (means.length - 1));
}

export function spreadFor(flows: ArrayLike<number>, firstDay: string, model: FlowModel): Spread {
  const levelOf = (m: FlowModel) => m.sigma / Math.sqrt(Math.max(1, Math.min(m.daysUsed, 180)));
  const all: Record<number, number[]> = { 30: [], 90: [] };
  const seasonal: Record<number, number[]> = { 30: [], 90: [] };
  const firstEnd = Math.max(CHECK_MIN_HISTORY - 1, flows.length - 1 - CHECK_LOOKBACK);
  for (let end = flows.length - 1 - CHECK_HORIZONS[0]; end >= firstEnd; end -= CHECK_STEP) {
    const past = Array.prototype.slice.call(flows, Math.max(0, end + 1 - 365), end + 1) as number[];
    const fit = fitFlows(past, addDays(firstDay, end + 1 - past.length));
    const asOf = addDays(firstDay, end);
    const level = levelOf(fit);
    for (const h of CHECK_HORIZONS) {
      if (end + h >= flows.length) break;
      const expected = dailyMeans(fit, asOf, new Float64Array(h)).reduce((s, v) => s + v, 0);
      let actual = 0;
      for (let i = 1; i <= h; i++) actual += flows[end + i];
      const sd = Math.sqrt(fit.sigma ** 2 * h + (level * h) ** 2);
      if (sd === 0) continue;
      const z = Math.abs(actual - expected) / sd;
      all[h].push(z);
      if (past.length >= 365) seasonal[h].push(z);
    }
  }
  const useSeasonal = model.daysUsed >= 365 && seasonal[30].length >= MIN_CHECKS && seasonal[90].length >= MIN_CHECKS / 2;
  const z = useSeasonal ? seasonal : all;
  const sigma = model.sigma;
  const tau = levelOf(model);
  const checks = z[30].length + z[90].length;
  if (z[30].length < MIN_CHECKS || z[90].length < MIN_CHECKS / 2 || sigma === 0) return { sigma, levelSigma: Math.max(tau, wander(flows)), scale: 1, levelScale: 1, checks };
  const k = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.floor(0.8 * (sorted.length - 1))] / Z80;
  };
  // The variance the band must have at 30 and at 90 days, then the noise and level parts that give both.
  const v1 = k(z[30]) ** 2 * (sigma ** 2 * 30 + (tau * 30) ** 2);
  const v2 = k(z[90]) ** 2 * (sigma ** 2 * 90 + (tau * 90) ** 2);
  const det = 30 * 90 * 90 - 90 * 30 * 30;
  let a2 = (v1 * 90 * 90 - v2 * 30 * 30) / det / sigma ** 2;
  let b2 = tau > 0 ? (v2 * 30 - v1 * 90) / det / tau ** 2 : 0;
  if (a2 < 0.25) {
    a2 = 0.25;
    b2 = (v2 - a2 * sigma ** 2 * 90) / (tau * 90) ** 2;
  } else if (b2 < 0.25) {
    b2 = 0.25;
    a2 = (v1 - b2 * (tau * 30) ** 2) / (sigma ** 2 * 30);
  }
  const scale = Math.sqrt(Math.min(16, Math.max(0.25, a2)));
  const levelScale = Math.sqrt(Math.min(100, Math.max(0.25, b2)));
  return { sigma: sigma * scale, levelSigma: tau * levelScale, scale, levelScale, checks };
}

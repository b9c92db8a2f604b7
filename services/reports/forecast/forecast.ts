import type { Db } from '../../core/db.ts';
import { addDays } from '../../core/clock.ts';
import * as aggregates from '../aggregates.ts';
import { NOT_CASH_KINDS, NOT_OPERATING_KINDS } from '../definitions.ts';
import { daysBetween } from '../periods.ts';
import type { LedgerKind } from '../../ledger/transactions.ts';
import { detectRecurring, recurringSchedule, fitFlows, dailyMeans, spreadFor, type Spread, type RecurringItem, type FlowModel, type LedgerEvent } from './model.ts';
import { simulateInWorker } from './simulate-pool.ts';

export const DEFAULT_PATHS = 10_000;
export const DEFAULT_SEED = 20_261_125;

/** `extraFlow`: cash a scenario adds on each future day (index 0 = the day after asOf). */
export type ForecastOptions = { horizonDays: number; paths?: number; seed?: number; extraFlow?: Float64Array };

export type Forecast = {
  asOf: string;
  startCash: number;
  horizonDays: number;
  paths: number;
  days: string[];
  p10: number[];
  p50: number[];
  p90: number[];
  pBelowZero: number;
  runwayDays: { p10: number | null; p50: number | null; p90: number | null };
  recurring: RecurringItem[];
  model: FlowModel;
  /** How widely it was simulated around the fitted means (see spreadFor). */
  spread: Spread;
};

/**
 * What the forecast needs from the ledger to forecast from any day in [`firstAsOf`, `lastAsOf`]:
 * daily totals from two years before the first of those days, the cash before them, and the
 * counterparty events recurring items are found in. Nothing after `lastAsOf`.
 */
type History = {
  span: { first: string; last: string };
  from: string;
  rows: { day: string; kind: string; amount: number }[];
  cashBefore: number;
  events: LedgerEvent[];
};

async function history(db: Db, businessId: string, firstAsOf: string, lastAsOf: string): Promise<History | null> {
  const span = await aggregates.span(db, businessId);
  if (!span || span.first > lastAsOf) return null;
  const from = addDays(firstAsOf, -729);
  const [rows, cashBefore, events] = await Promise.all([
    aggregates.dailyByKind(db, businessId, from, lastAsOf),
    aggregates.sumThrough(db, businessId, addDays(from, -1), NOT_CASH_KINDS),
    db('transactions')
      .where('business_id', businessId)
      .whereIn('kind', ['expense', 'other_income'])
      .whereNotNull('counterparty')
      .whereBetween('occurred_on', [addDays(firstAsOf, -400), lastAsOf])
      .select('occurred_on', 'counterparty', 'kind', 'amount_base as amount') as Promise<LedgerEvent[]>,
  ]);
  return { span, from, rows, cashBefore, events };
}

/** What a simulation from `asOf` needs, from history that reaches at least that far back. */
type Fitted = { startCash: number; model: FlowModel; spread: Spread; recurring: RecurringItem[] };

/**
 * Fits the model as it would have been fitted on `asOf`: only the days up to it, at most
 * two years of them. Null with fewer than 28 days of history by then. Pure.
 */
function fitAt(h: History, asOf: string): Fitted | null {
  if (h.span.first > asOf) return null;
  const from = addDays(asOf, -729);
  const first = h.span.first > from ? h.span.first : from;
  const n = daysBetween(first, asOf) + 1;
  if (n < 28) return null;
  const events = h.events.filter((e) => e.occurred_on <= asOf && e.occurred_on >= addDays(asOf, -400));
  const recurring = detectRecurring(events, asOf);
  const recurringKeys = new Set(recurring.map((r) => `${r.kind}\u0000${r.counterparty}`));
  const flows = new Float64Array(n);
  let cash = h.cashBefore;
  for (const r of h.rows) {
    if (r.day > asOf || NOT_CASH_KINDS.includes(r.kind as LedgerKind)) continue;
    cash += Number(r.amount);
    const i = daysBetween(first, r.day);
    if (i >= 0 && !NOT_OPERATING_KINDS.includes(r.kind as LedgerKind)) flows[i] += Number(r.amount);
  }
  // Recurring items are scheduled on their own dates, so they come out of the flow the trend is fitted on.
  for (const e of events) {
    if (!recurringKeys.has(`${e.kind}\u0000${e.counterparty}`) || e.occurred_on < first) continue;
    flows[daysBetween(first, e.occurred_on)] -= Number(e.amount);
  }
  const model = fitFlows(flows, first);
  return { startCash: cash, model, spread: spreadFor(flows, first, model), recurring };
}

async function simulateFitted(fit: Fitted, asOf: string, opts: ForecastOptions): Promise<Forecast> {
  const schedule = recurringSchedule(fit.recurring, asOf, opts.horizonDays);
  const paths = opts.paths ?? DEFAULT_PATHS;
  const sim = await simulateInWorker({
    startCash: fit.startCash,
    mean: dailyMeans(fit.model, asOf, schedule, opts.extraFlow),
    sigma: fit.spread.sigma,
    levelSigma: fit.spread.levelSigma,
    paths,
    seed: opts.seed ?? DEFAULT_SEED,
  });
  const days: string[] = [];
  for (let i = 1; i <= opts.horizonDays; i++) days.push(addDays(asOf, i));
  return {
    asOf,
    startCash: fit.startCash,
    horizonDays: opts.horizonDays,
    paths,
    days,
    p10: Array.from(sim.p10, Math.round),
    p50: Array.from(sim.p50, Math.round),
    p90: Array.from(sim.p90, Math.round),
    pBelowZero: sim.pBelowZero,
    runwayDays: sim.runwayDays,
    recurring: fit.recurring,
    model: fit.model,
    spread: fit.spread,
  };
}

/**
 * A Monte Carlo forecast of cash from the day after `asOf`, fitted on the history up
 * to `asOf` only. Returns null when there are fewer than 28 days of history to learn from.
 */
export async function forecast(db: Db, businessId: string, asOf: string, opts: ForecastOptions): Promise<Forecast | null> {
  const h = await history(db, businessId, asOf, asOf);
  const fit = h && fitAt(h, asOf);
  return fit ? simulateFitted(fit, asOf, opts) : null;
}

/**
 * The operating cash the forecast's model expects over `horizonDays` from `asOf`: the sum of
 * its daily means (trend, seasons, recurring items), around which the median path runs. Fits
 * without simulating. Null with fewer than 28 days of history.
 */
export async function expectedFlow(db: Db, businessId: string, asOf: string, horizonDays: number): Promise<number | null> {
  const h = await history(db, businessId, asOf, asOf);
  const fit = h && fitAt(h, asOf);
  if (!fit) return null;
  return dailyMeans(fit.model, asOf, recurringSchedule(fit.recurring, asOf, horizonDays)).reduce((s, v) => s + v, 0);
}

/** The cash balance at the end of each day from `asOf` + 1 on, as the ledger has it. */
async function actualCash(db: Db, businessId: string, startCash: number, days: string[]): Promise<number[]> {
  const rows = await aggregates.dailyByKind(db, businessId, days[0], days[days.length - 1]);
  const flow = new Map<string, number>();
  for (const r of rows) if (!NOT_CASH_KINDS.includes(r.kind)) flow.set(r.day, (flow.get(r.day) ?? 0) + Number(r.amount));
  let cash = startCash;
  return days.map((d) => (cash += flow.get(d) ?? 0));
}

export type Backtest = {
  from: string;
  to: string;
  forecast: Forecast;
  actual: number[];
  /** Mean absolute error of P50 against the actual balance, and as a share of the mean actual balance. */
  mae: number;
  mape: number | null;
  /** Share of days the actual balance stayed between P10 and P90. */
  coverage: number;
  endError: number;
};

/**
 * A forecast made `days` ago with only what was known then, drawn against what
 * happened since. Null when there is not enough history before that date.
 */
export async function backtest(db: Db, businessId: string, today: string, days = 90, paths = DEFAULT_PATHS): Promise<Backtest | null> {
  const from = addDays(today, -days);
  const past = await forecast(db, businessId, from, { horizonDays: days, paths });
  if (!past) return null;
  const actual = await actualCash(db, businessId, past.startCash, past.days);
  let abs = 0;
  let inside = 0;
  for (let i = 0; i < actual.length; i++) {
    abs += Math.abs(past.p50[i] - actual[i]);
    if (actual[i] >= past.p10[i] && actual[i] <= past.p90[i]) inside++;
  }
  const mae = abs / actual.length;
  const meanActual = actual.reduce((s, v) => s + Math.abs(v), 0) / actual.length;
  return {
    from,
    to: today,
    forecast: past,
    actual,
    mae: Math.round(mae),
    mape: meanActual > 0 ? mae / meanActual : null,
    coverage: inside / actual.length,
    endError: past.p50[actual.length - 1] - actual[actual.length - 1],
  };
}

/** The horizons backtests check, and how far apart their origins are. */
export const BACKTEST_HORIZONS = [30, 90] as const;
const ORIGIN_STEP_DAYS = 30;
/** Origins 30, 60, ..., 420 days ago: 14 for the 30-day horizon, 12 for the 90-day one. */
const ORIGIN_COUNT = 14;
/** Paths per backtest forecast: the band's edges move by well under a percent from 10,000. */
const BACKTEST_PATHS = 5_000;

export type BacktestRun = { origin: string; horizonDays: number; daysInside: number; endActual: number; endP10: number; endP50: number; endP90: number };

export type HorizonRecord = {
  horizonDays: number;
  origins: number;
  /** Share of the days, over every origin, whose actual balance was inside the P10–P90 band. */
  coverage: number;
  /** Share of origins whose balance on the horizon's last day was inside the band. */
  endCoverage: number;
  /** Median over origins of |P50 − actual| ÷ |actual| on the horizon's last day. */
  medianAbsPctError: number | null;
};

/** The forecast's track record on a business's own history, from rolling origins. */
export type TrackRecord = {
  asOf: string;
  origins: number;
  horizons: HorizonRecord[];
  /** The horizons' coverages and errors taken together (mean of coverages, median of all errors). */
  coverage: number;
  medianAbsPctError: number | null;
  runs: BacktestRun[];
};

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Rolling-origin backtests: from each origin 30, 60, ... days before `today`, the forecast
 * fitted on what was known then, checked against what happened over each horizon that has
 * fully passed. Null when no origin has enough history before it.
 */
export async function trackRecord(db: Db, businessId: string, today: string): Promise<TrackRecord | null> {
  const maxHorizon = Math.max(...BACKTEST_HORIZONS);
  const origins = Array.from({ length: ORIGIN_COUNT }, (_, k) => addDays(today, -ORIGIN_STEP_DAYS * (k + 1))).reverse();
  const h = await history(db, businessId, origins[0], today);
  if (!h) return null;
  // Cash moved since the first origin, by day: what happened after any origin is the difference.
  const days: string[] = [];
  for (let d = addDays(origins[0], 1); d <= today; d = addDays(d, 1)) days.push(d);
  const moved = await actualCash(db, businessId, 0, days);
  const movedBy = new Map(days.map((d, i) => [d, moved[i]]));
  const runs: BacktestRun[] = [];
  const pending: Promise<Forecast>[] = [];
  for (const origin of origins) {
    // Each fit checks itself on earlier origins (spreadFor): tens of milliseconds of
    // arithmetic in this process, so let other requests in between them.
    await new Promise((resolve) => setImmediate(resolve));
    const fit = fitAt(h, origin);
    if (!fit) continue;
    const run = simulateFitted(fit, origin, { horizonDays: Math.min(maxHorizon, daysBetween(origin, today)), paths: BACKTEST_PATHS });
    // A worker's failure reaches the caller through Promise.all below; until then it must
    // not count as unhandled (which would end the process) while the next fit runs.
    run.catch(() => {});
    pending.push(run);
  }
  const forecasts = await Promise.all(pending);
  for (const f of forecasts) {
    // Cash moved by the same amounts the ledger shows, from the balance the forecast started at.
    const before = movedBy.get(f.asOf) ?? 0;
    const actual = f.days.map((d) => f.startCash + (movedBy.get(d) ?? 0) - before);
    for (const horizonDays of BACKTEST_HORIZONS) {
      if (f.days.length < horizonDays) continue;
      let inside = 0;
      for (let i = 0; i < horizonDays; i++) if (actual[i] >= f.p10[i] && actual[i] <= f.p90[i]) inside++;
      const e = horizonDays - 1;
      runs.push({ origin: f.asOf, horizonDays, daysInside: inside, endActual: actual[e], endP10: f.p10[e], endP50: f.p50[e], endP90: f.p90[e] });
    }
  }
  if (!runs.length) return null;
  const pctError = (r: BacktestRun) => (r.endActual !== 0 ? Math.abs(r.endP50 - r.endActual) / Math.abs(r.endActual) : null);
  const horizons = BACKTEST_HORIZONS.map((horizonDays) => {
    const mine = runs.filter((r) => r.horizonDays === horizonDays);
    return {
      horizonDays,
      origins: mine.length,
      coverage: mine.reduce((s, r) => s + r.daysInside, 0) / Math.max(1, mine.length * horizonDays),
      endCoverage: mine.filter((r) => r.endActual >= r.endP10 && r.endActual <= r.endP90).length / Math.max(1, mine.length),
      medianAbsPctError: median(mine.map(pctError).filter((x): x is number => x !== null)),
    };
  }).filter((r) => r.origins > 0);
  return {
    asOf: today,
    origins: new Set(runs.map((r) => r.origin)).size,
    horizons,
    coverage: horizons.reduce((s, r) => s + r.coverage, 0) / horizons.length,
    medianAbsPctError: median(runs.map(pctError).filter((x): x is number => x !== null)),
    runs,
  };
}

/** Names the model a stored track record was made with: change it when the model changes. */
export const MODEL_VERSION = 'self-checked-spread-2';

/**
 * The business's track record as of `today`: the stored one when it was made on that day
 * from the ledger as it stands (the business's data version) by this model, else computed
 * and stored, stamped with the caller's clock. Null when no origin has enough history.
 */
export async function storedTrackRecord(db: Db, businessId: string, today: string, now: Date): Promise<TrackRecord | null> {
  const row = await db('forecast_backtests as f')
    .leftJoin('data_versions as v', 'v.business_id', 'f.business_id')
    .where('f.business_id', businessId)
    .andWhere('f.as_of', today)
    .andWhere('f.model', MODEL_VERSION)
    .andWhereRaw('f.data_version = coalesce(v.version, 0)')
    .first('f.record');
  if (row) return row.record;
  const version = await db('data_versions').where('business_id', businessId).first('version');
  const record = await trackRecord(db, businessId, today);
  if (!record) return null;
  await db('forecast_backtests')
    .insert({ business_id: businessId, as_of: today, data_version: version?.version ?? 0, model: MODEL_VERSION, record: JSON.stringify(record), computed_at: now })
    .onConflict('business_id')
    .merge(['as_of', 'data_version', 'model', 'record', 'computed_at']);
  return record;
}

/** A forecast as stored in forecast_snapshots: everything but the fitted model. */
export type StoredForecast = Omit<Forecast, 'model'>;

/** The horizon the agent answers with unless asked for another: the hourly job keeps it stored. */
export const STORED_HORIZON_DAYS = 180;

/** How old a stored forecast may be before a reader computes it again: the job refreshes hourly. */
export const FRESH_FOR_MS = 60 * 60 * 1000;

/**
 * Computes the forecast from `asOf` over a horizon (default paths and seed, as the
 * forecast page) and stores it, stamped with the caller's clock. Null without enough history.
 */
export async function snapshotForecast(db: Db, businessId: string, asOf: string, horizonDays: number, computedAt: Date): Promise<StoredForecast | null> {
  const f = await forecast(db, businessId, asOf, { horizonDays });
  if (!f) return null;
  const { model: _model, ...stored } = f;
  await db('forecast_snapshots')
    .insert({ business_id: businessId, as_of: asOf, horizon_days: horizonDays, forecast: JSON.stringify(stored), computed_at: computedAt })
    .onConflict(['business_id', 'as_of', 'horizon_days'])
    .merge(['forecast', 'computed_at']);
  return stored;
}

/**
 * Today's forecast over a horizon: the stored one when computed within FRESH_FOR_MS
 * by the caller's clock (`now`), else computed and stored. Null without enough history.
 */
export async function fresh(db: Db, businessId: string, today: string, now: Date, horizonDays: number): Promise<StoredForecast | null> {
  const row = await db('forecast_snapshots').where({ business_id: businessId, as_of: today, horizon_days: horizonDays }).first('forecast', 'computed_at');
  if (row && now.getTime() - new Date(row.computed_at).getTime() <= FRESH_FOR_MS) return row.forecast;
  return snapshotForecast(db, businessId, today, horizonDays, now);
}

/** Stores today's forecast over STORED_HORIZON_DAYS and its track record for every business with enough history; what the hourly job does. */
export async function snapshotAll(db: Db, asOf: string, computedAt: Date): Promise<{ forecasts: number }> {
  const ids: string[] = await db('businesses').pluck('id');
  let n = 0;
  for (const id of ids) {
    if (!(await snapshotForecast(db, id, asOf, STORED_HORIZON_DAYS, computedAt))) continue;
    // The day's track record too, so the first reader of the page or the API does not wait for it.
    await storedTrackRecord(db, id, asOf, computedAt);
    n++;
  }
  return { forecasts: n };
}

/**
 * What the forecast page shows: the forecast from today, its track record (stored, see
 * storedTrackRecord) and the latest 90-day backtest drawn against what happened, with chart columns.
 */
export async function page(db: Db, businessId: string, today: string, horizonDays: number, now: Date) {
  const [ahead, past, record] = await Promise.all([forecast(db, businessId, today, { horizonDays }), backtest(db, businessId, today, 90), storedTrackRecord(db, businessId, today, now)]);
  const step = Math.max(1, Math.round(horizonDays / 26));
  return {
    forecast: ahead,
    backtest: past,
    trackRecord: record,
    fanChart: ahead ? { days: ahead.days, p10: ahead.p10, p50: ahead.p50, p90: ahead.p90 } : null,
    backtestChart: past ? { days: past.forecast.days, p10: past.forecast.p10, p50: past.forecast.p50, p90: past.forecast.p90, actual: past.actual } : null,
    /** Every `step`-th day and the last, for the accessible table. */
    sampled: ahead ? ahead.days.map((d, i) => ({ day: d, p10: ahead.p10[i], p50: ahead.p50[i], p90: ahead.p90[i], i })).filter((r) => r.i % step === step - 1 || r.i === ahead.days.length - 1) : [],
  };
}

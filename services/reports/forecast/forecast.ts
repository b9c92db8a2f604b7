import type { Db } from '../../core/db.ts';
import { addDays } from '../../core/clock.ts';
import * as aggregates from '../aggregates.ts';
import { NOT_CASH_KINDS, NOT_OPERATING_KINDS } from '../definitions.ts';
import { daysBetween } from '../periods.ts';
import { detectRecurring, recurringSchedule, fitFlows, dailyMeans, type RecurringItem, type FlowModel, type LedgerEvent } from './model.ts';
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
};

/** What the forecast needs from the ledger as known on `asOf`: nothing after that day. */
async function history(db: Db, businessId: string, asOf: string) {
  const from = addDays(asOf, -729);
  const [rows, cashBefore, events] = await Promise.all([
    aggregates.dailyByKind(db, businessId, from, asOf),
    aggregates.sumThrough(db, businessId, addDays(from, -1), NOT_CASH_KINDS),
    db('transactions')
      .where('business_id', businessId)
      .whereIn('kind', ['expense', 'other_income'])
      .whereNotNull('counterparty')
      .whereBetween('occurred_on', [addDays(asOf, -400), asOf])
      .select('occurred_on', 'counterparty', 'kind', 'amount_base as amount') as Promise<LedgerEvent[]>,
  ]);
  return { from, rows, cashBefore, events };
}

/**
 * A Monte Carlo forecast of cash from the day after `asOf`, fitted on the history up
 * to `asOf` only. Returns null when there are fewer than 28 days of history to learn from.
 */
export async function forecast(db: Db, businessId: string, asOf: string, opts: ForecastOptions): Promise<Forecast | null> {
  const span = await aggregates.span(db, businessId);
  if (!span || span.first > asOf) return null;
  const h = await history(db, businessId, asOf);
  const first = span.first > h.from ? span.first : h.from;
  const n = daysBetween(first, asOf) + 1;
  if (n < 28) return null;
  const recurring = detectRecurring(h.events, asOf);
  const recurringKeys = new Set(recurring.map((r) => `${r.kind}\u0000${r.counterparty}`));
  const flows = new Float64Array(n);
  let cash = h.cashBefore;
  for (const r of h.rows) {
    if (NOT_CASH_KINDS.includes(r.kind)) continue;
    const i = daysBetween(first, r.day);
    if (i < 0) {
      cash += Number(r.amount);
      continue;
    }
    cash += Number(r.amount);
    if (!NOT_OPERATING_KINDS.includes(r.kind)) flows[i] += Number(r.amount);
  }
  // Recurring items are scheduled on their own dates, so they come out of the flow the trend is fitted on.
  for (const e of h.events) {
    if (!recurringKeys.has(`${e.kind}\u0000${e.counterparty}`) || e.occurred_on < first) continue;
    flows[daysBetween(first, e.occurred_on)] -= Number(e.amount);
  }
  const model = fitFlows(flows, first);
  const schedule = recurringSchedule(recurring, asOf, opts.horizonDays);
  const paths = opts.paths ?? DEFAULT_PATHS;
  const sim = await simulateInWorker({ startCash: cash, mean: dailyMeans(model, asOf, schedule, opts.extraFlow), sigma: model.sigma, paths, seed: opts.seed ?? DEFAULT_SEED });
  const days: string[] = [];
  for (let i = 1; i <= opts.horizonDays; i++) days.push(addDays(asOf, i));
  return {
    asOf,
    startCash: cash,
    horizonDays: opts.horizonDays,
    paths,
    days,
    p10: Array.from(sim.p10, Math.round),
    p50: Array.from(sim.p50, Math.round),
    p90: Array.from(sim.p90, Math.round),
    pBelowZero: sim.pBelowZero,
    runwayDays: sim.runwayDays,
    recurring,
    model,
  };
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
  const rows = await aggregates.dailyByKind(db, businessId, addDays(from, 1), today);
  const flow = new Map<string, number>();
  for (const r of rows) if (!NOT_CASH_KINDS.includes(r.kind)) flow.set(r.day, (flow.get(r.day) ?? 0) + Number(r.amount));
  let cash = past.startCash;
  const actual = past.days.map((d) => (cash += flow.get(d) ?? 0));
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

/** Stores today's forecast over STORED_HORIZON_DAYS for every business with enough history; what the hourly job does. */
export async function snapshotAll(db: Db, asOf: string, computedAt: Date): Promise<{ forecasts: number }> {
  const ids: string[] = await db('businesses').pluck('id');
  let n = 0;
  for (const id of ids) if (await snapshotForecast(db, id, asOf, STORED_HORIZON_DAYS, computedAt)) n++;
  return { forecasts: n };
}

/** What the forecast page shows: the forecast from today and a 90-day backtest, both with chart columns. */
export async function page(db: Db, businessId: string, today: string, horizonDays: number) {
  const [ahead, past] = await Promise.all([forecast(db, businessId, today, { horizonDays }), backtest(db, businessId, today, 90)]);
  const step = Math.max(1, Math.round(horizonDays / 26));
  return {
    forecast: ahead,
    backtest: past,
    fanChart: ahead ? { days: ahead.days, p10: ahead.p10, p50: ahead.p50, p90: ahead.p90 } : null,
    backtestChart: past ? { days: past.forecast.days, p10: past.forecast.p10, p50: past.forecast.p50, p90: past.forecast.p90, actual: past.actual } : null,
    /** Every `step`-th day and the last, for the accessible table. */
    sampled: ahead ? ahead.days.map((d, i) => ({ day: d, p10: ahead.p10[i], p50: ahead.p50[i], p90: ahead.p90[i], i })).filter((r) => r.i % step === step - 1 || r.i === ahead.days.length - 1) : [],
  };
}

import type { Db } from '../core/db.ts';
import { addDays } from '../core/clock.ts';
import * as aggregates from './aggregates.ts';
import * as forecasting from './forecast/forecast.ts';
import { burn, burnWindow, runway, NOT_CASH_KINDS, type BurnWindow, type CashOut, type Runway } from './definitions.ts';

/**
 * The forecast runway is checked against: the longest horizon any page or the API
 * offers, so no forecast a reader can ask for says "likely to run out" beside a
 * runway that says "not burning" (a shorter horizon's paths are the first days of
 * this one's, so its chance of cash below zero is never higher).
 */
export const RUNWAY_FORECAST_HORIZON_DAYS = 730;

export type CashPosition = {
  asOf: string;
  cash: number;
  window: BurnWindow;
  netBurn: number;
  grossBurn: number;
  runway: Runway;
  /** What the forecast says about running out; null when there is too little history to forecast. */
  forecast: (CashOut & { cashOutDate: string | null }) | null;
};

/**
 * What the forecast says about cash running out, from today's stored forecast over
 * RUNWAY_FORECAST_HORIZON_DAYS (computed and stored when there is none from the last
 * hour by `now`). Null when there is too little history to forecast.
 */
export async function cashOut(db: Db, businessId: string, asOf: string, now: Date): Promise<CashOut | null> {
  const f = await forecasting.fresh(db, businessId, asOf, now, RUNWAY_FORECAST_HORIZON_DAYS);
  return f ? { horizonDays: f.horizonDays, pBelowZero: f.pBelowZero, medianDays: f.runwayDays.p50 } : null;
}

/**
 * Cash, net and gross burn and runway as of a day: the point-in-time figures that do
 * not depend on a report's range. Null when the business has no ledger rows by then.
 */
export async function position(db: Db, businessId: string, asOf: string, now: Date): Promise<CashPosition | null> {
  const { span, sumThrough: cash } = await aggregates.position(db, businessId, asOf, NOT_CASH_KINDS);
  const window = span ? burnWindow(asOf, span.first) : null;
  if (!window) return null;
  const [rows, out] = await Promise.all([aggregates.dailyByKind(db, businessId, window.from, window.to), cashOut(db, businessId, asOf, now)]);
  const { netBurn, grossBurn } = burn(rows, window);
  return {
    asOf,
    cash,
    window,
    netBurn,
    grossBurn,
    runway: runway(cash, netBurn, out),
    forecast: out ? { ...out, cashOutDate: out.medianDays === null ? null : addDays(asOf, out.medianDays) } : null,
  };
}

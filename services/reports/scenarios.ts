import type { Db } from '../core/db.ts';
import { addDays } from '../core/clock.ts';
import { NotFound } from '../core/errors.ts';
import * as aggregates from './aggregates.ts';
import * as forecast from './forecast/forecast.ts';
import { scenarioFlow, projectPnl, alignDrivers, type Drivers, type ScenarioInput } from './forecast/scenario.ts';

export type Scenario = ScenarioInput & { id: string; name: string; created_at: string };

const COLUMNS = ['id', 'name', 'revenue_growth', 'ad_spend_change', 'price_change', 'hire_monthly_cost', 'hire_from', 'loan_amount', 'loan_on', 'loan_monthly_repayment', 'loan_months', 'created_at'];

function fromRow(r: Record<string, unknown>): Scenario {
  return { ...(r as Scenario), revenue_growth: Number(r.revenue_growth), ad_spend_change: Number(r.ad_spend_change), price_change: Number(r.price_change) };
}

export async function list(db: Db, businessId: string): Promise<Scenario[]> {
  return (await db('forecast_scenarios').where('business_id', businessId).orderBy('created_at', 'desc').select(COLUMNS)).map(fromRow);
}

/** One scenario of the business; throws NotFound when it has no such scenario. */
export async function get(db: Db, businessId: string, id: string): Promise<Scenario> {
  const row = await db('forecast_scenarios').where({ business_id: businessId, id }).first(COLUMNS);
  if (!row) throw new NotFound('No such scenario.');
  return fromRow(row);
}

export async function create(db: Db, businessId: string, userId: string, input: ScenarioInput & { name: string }): Promise<Scenario> {
  const [row] = await db('forecast_scenarios')
    .insert({ ...input, business_id: businessId, created_by: userId })
    .returning(COLUMNS);
  return fromRow(row);
}

/** Changes a scenario of the business in place; throws NotFound when it has no such scenario. */
export async function update(db: Db, businessId: string, id: string, input: ScenarioInput & { name: string }): Promise<Scenario> {
  const [row] = await db('forecast_scenarios').where({ business_id: businessId, id }).update(input).returning(COLUMNS);
  if (!row) throw new NotFound('No such scenario.');
  return fromRow(row);
}

/** Deletes a scenario of the business; throws NotFound when it has no such scenario. */
export async function remove(db: Db, businessId: string, id: string): Promise<void> {
  const n = await db('forecast_scenarios').where({ business_id: businessId, id }).del();
  if (!n) throw new NotFound('No such scenario.');
}

/** The drivers a scenario changes, measured over the 90 days up to `asOf`. */
export async function drivers(db: Db, businessId: string, asOf: string): Promise<Drivers> {
  const from = addDays(asOf, -89);
  const [rows, ads] = await Promise.all([
    aggregates.dailyByKind(db, businessId, from, asOf),
    db('ad_campaign_stats')
      .where('business_id', businessId)
      .whereBetween('day', [from, asOf])
      .first(db.raw('coalesce(sum(spend), 0)::bigint as spend'), db.raw('coalesce(sum(revenue), 0)::bigint as revenue')),
  ]);
  const sum: Record<string, number> = {};
  for (const r of rows) sum[r.kind] = (sum[r.kind] ?? 0) + Number(r.amount);
  const revenue = (sum.sale ?? 0) + (sum.other_income ?? 0) + (sum.refund ?? 0) + (sum.chargeback ?? 0);
  const variable = -((sum.cogs ?? 0) + (sum.fee ?? 0));
  return {
    revenuePerDay: revenue / 90,
    variableCostRatio: revenue > 0 ? variable / revenue : 0,
    adSpendPerDay: -(sum.ad_spend ?? 0) / 90,
    roas: ads.spend > 0 ? ads.revenue / ads.spend : 0,
    fixedCostsPerDay: -(sum.expense ?? 0) / 90,
  };
}

/**
 * The drivers of a scenario from `asOf` over a horizon: measured over the last 90 days, then
 * aligned with the forecast's model (alignDrivers), so the baseline P&L and the baseline
 * forecast are one model's story. Without enough history for a forecast, as measured.
 */
export async function baselineDrivers(db: Db, businessId: string, asOf: string, horizonDays: number): Promise<Drivers> {
  const [measured, expected] = await Promise.all([drivers(db, businessId, asOf), forecast.expectedFlow(db, businessId, asOf, horizonDays)]);
  return expected === null ? measured : alignDrivers(measured, expected / horizonDays);
}

/**
 * A scenario side by side with the baseline: projected P&L, runway and forecast, both from
 * the same seed and the same model (the baseline P&L nets to the forecast's expected cash).
 */
export async function compare(db: Db, businessId: string, id: string, today: string, horizonDays = 365) {
  const scenario = await get(db, businessId, id);
  const d = await baselineDrivers(db, businessId, today, horizonDays);
  const extra = scenarioFlow(d, scenario, today, horizonDays);
  const [baseline, withScenario] = await Promise.all([forecast.forecast(db, businessId, today, { horizonDays }), forecast.forecast(db, businessId, today, { horizonDays, extraFlow: extra })]);
  return {
    scenario,
    drivers: d,
    horizonDays,
    pnl: { baseline: projectPnl(d, null, today, horizonDays), scenario: projectPnl(d, scenario, today, horizonDays) },
    baseline,
    withScenario,
    chart: baseline && withScenario ? { days: withScenario.days, p10: withScenario.p10, p50: withScenario.p50, p90: withScenario.p90, baseline: baseline.p50 } : null,
  };
}

import { Router, type Response } from 'express';
import { z } from 'zod';
import * as forecast from '../../../services/reports/forecast/forecast.ts';
import * as scenarios from '../../../services/reports/scenarios.ts';
import { scenarioFlow } from '../../../services/reports/forecast/scenario.ts';
import { isoDate } from '../../../services/core/clock.ts';
import type { AppDeps } from '../../support/deps.ts';
import { limitHeavy } from '../../support/heavy.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { uuid } from '../../../services/core/ids.ts';
const forecastBody = z.object({
  horizon_days: z.number().int().min(30).max(730).default(365),
  paths: z.number().int().min(1000).max(20_000).default(forecast.DEFAULT_PATHS),
  seed: z.number().int().min(0).optional(),
  scenario: uuid("Use the id of one of the business's saved scenarios.").optional(),
});

type Business = { id: string; currency: string };

/** Every forecast answer names its business and currency, and whether there was history enough to answer. */
function answer(res: Response, business: Business, body: Record<string, unknown> | null): void {
  res.json({ business_id: business.id, currency: business.currency, enough_history: body !== null, ...body });
}

/** A Monte Carlo cash forecast as JSON (a POST: it computes, and takes options in a body). Money is integer minor units of the business's base currency, named in `currency`. A semimonthly item's `second_day_of_month` counts from the month's end: 31 is its last day, 30 the day before. */
export function forecastApiRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router();

  router.post('/forecast', limitHeavy(deps, 'forecast'), async (req, res) => {
    const { business } = res.locals;
    const q = parseOrThrow(forecastBody, req.body);
    const today = isoDate(clock.now());
    // A saved what-if scenario of this business (another's id is a 404) adds its cash on each day.
    const scenario = q.scenario ? await scenarios.get(db, business.id, q.scenario) : null;
    const extraFlow = scenario ? scenarioFlow(await scenarios.baselineDrivers(db, business.id, today, q.horizon_days), scenario, today, q.horizon_days) : undefined;
    const f = await forecast.forecast(db, business.id, today, { horizonDays: q.horizon_days, paths: q.paths, seed: q.seed, extraFlow });
    if (!f) return answer(res, business, null);
    answer(res, business, {
      scenario: scenario ? { id: scenario.id, name: scenario.name } : null,
      as_of: f.asOf,
      start_cash: f.startCash,
      horizon_days: f.horizonDays,
      paths: f.paths,
      p_cash_below_zero: f.pBelowZero,
      runway_days: f.runwayDays,
      percentiles: f.days.map((d, i) => ({ date: d, p10: f.p10[i], p50: f.p50[i], p90: f.p90[i] })),
      recurring: f.recurring.map((r) => ({
        counterparty: r.counterparty,
        kind: r.kind,
        amount: r.amount,
        cadence: r.cadence,
        day_of_month: r.dayOfMonth,
        second_day_of_month: r.secondDayOfMonth ?? null,
        last_date: r.last,
      })),
    });
  });

  // How often the forecast's band held what happened, from rolling origins on the business's own history.
  // Its only input is the business, which apiMembership resolves and checks.
  router.get('/forecast/backtest', limitHeavy(deps, 'forecast'), async (_req, res) => {
    const { business } = res.locals;
    const record = await forecast.storedTrackRecord(db, business.id, isoDate(clock.now()), clock.now());
    if (!record) return answer(res, business, null);
    answer(res, business, {
      as_of: record.asOf,
      origins: record.origins,
      horizon_days: record.horizons.map((h) => h.horizonDays),
      coverage_p10_p90: record.coverage,
      median_abs_pct_error: record.medianAbsPctError,
      horizons: record.horizons.map((h) => ({
        horizon_days: h.horizonDays,
        origins: h.origins,
        coverage_p10_p90: h.coverage,
        end_coverage_p10_p90: h.endCoverage,
        median_abs_pct_error: h.medianAbsPctError,
      })),
    });
  });

  return router;
}

import { Router } from 'express';
import * as dashboard from '../../../services/reports/dashboard.ts';
import { isoDate } from '../../../services/core/clock.ts';
import { rangeQuery, rangeOf } from '../../support/range.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { sendCachedJson } from '../../support/render.ts';
const statsQuery = rangeQuery('last_30_days');

/** The dashboard's figures as JSON. Money is integer minor units of the business's base currency, named in `currency`. */
export function dashboardApiRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router();

  router.get('/dashboard/stats', async (req, res) => {
    const { business } = res.locals;
    const now = clock.now();
    const today = isoDate(now);
    const { preset, range } = rangeOf(parseOrThrow(statsQuery, req.query), today);
    await sendCachedJson(req, res, business, `dashboard/stats|${preset}|${range.from}|${range.to}|${today}`, async () => {
      const s = await dashboard.stats(db, business.id, range, { preset, today, now });
      if (s.empty) return { business_id: business.id, currency: business.currency, start_date: range.from, end_date: range.to, empty: true, readiness: null };
      // A ratio's change is in points, not percent: it is in change_pts.
      const figures = Object.fromEntries(
        s.figures.map((f) => [
          f.key,
          {
            label: f.label,
            value: f.value,
            previous: f.previous,
            change_pct: f.unit === 'ratio' ? null : f.change.pct,
            ...(f.unit === 'ratio' ? { change_pts: f.change.pct } : {}),
            change: f.change.text,
          },
        ]),
      );
      const r = s.runway;
      return {
        business_id: business.id,
        currency: business.currency,
        start_date: s.range.from,
        end_date: s.range.to,
        previous_start_date: s.previous.from,
        previous_end_date: s.previous.to,
        empty: false,
        ...figures,
        // burn and runway_months are of today whatever the range (previous null); what runway is based on, and the forecast beside it.
        runway_basis: r.basis,
        gross_burn: r.grossBurn,
        burn_window: { start_date: r.window.from, end_date: r.window.to },
        forecast_cash_out: r.forecast ? { horizon_days: r.forecast.horizonDays, p_cash_below_zero: r.forecast.pBelowZero, median_date: r.forecast.cashOutDate } : null,
        top_sku: s.topSku ? { ...s.topSku, change_pct: s.topSku.change.pct, change: s.topSku.change.text } : null,
        worst_campaign: s.worstCampaign,
        readiness: s.readiness,
      };
    });
  });

  return router;
}

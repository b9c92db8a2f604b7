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
    const { range } = rangeOf(parseOrThrow(statsQuery, req.query), isoDate(clock.now()));
    await sendCachedJson(req, res, business, `dashboard/stats|${range.from}|${range.to}`, async () => {
      const s = await dashboard.stats(db, business.id, range);
      if (s.empty) return { business_id: business.id, currency: business.currency, start_date: range.from, end_date: range.to, empty: true, readiness: null };
      const figures = Object.fromEntries(s.figures.map((f) => [f.key, { value: f.value, previous: f.previous, change_pct: f.unit === 'ratio' ? null : f.change }]));
      return {
        business_id: business.id,
        currency: business.currency,
        start_date: s.range.from,
        end_date: s.range.to,
        previous_start_date: s.previous.from,
        previous_end_date: s.previous.to,
        empty: false,
        ...figures,
        top_sku: s.topSku,
        worst_campaign: s.worstCampaign,
        readiness: s.readiness,
      };
    });
  });

  return router;
}

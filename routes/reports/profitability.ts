import { Router } from 'express';
import { z } from 'zod';
import * as profitability from '../../services/reports/profitability.ts';
import * as counterparties from '../../services/reports/counterparties.ts';
import { isoDate } from '../../services/core/clock.ts';
import { PRESETS, PRESET_LABELS } from '../../services/reports/periods.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';
import { parseOrThrow } from '../support/validate.ts';
import { rangeQuery, rangeOf } from '../support/range.ts';

const skuQuery = rangeQuery('last_30_days').extend({
  sort: z.enum(profitability.SKU_SORTS).catch('margin').default('margin'),
  dir: z.enum(['asc', 'desc']).catch('desc').default('desc'),
});
const customerQuery = rangeQuery('last_12_months');
const campaignQuery = rangeQuery('last_30_days').extend({ threshold: z.coerce.number().min(0).max(100).catch(1).default(1) });

/** Profitability per SKU and per ad campaign, and revenue per customer. */
export function profitabilityRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/products', async (req, res) => {
    const q = parseOrThrow(skuQuery, req.query);
    const { preset, range } = rangeOf(q, isoDate(clock.now()));
    const rows = await profitability.skus(db, res.locals.business.id, range, q.sort, q.dir);
    render(req, res, { page: 'pages/business/products.njk', partial: 'partials/products/table.njk' }, { rows, range, preset, sort: q.sort, dir: q.dir, presets: PRESETS, presetLabels: PRESET_LABELS });
  });
  router.get('/campaigns', async (req, res) => {
    const q = parseOrThrow(campaignQuery, req.query);
    const { preset, range } = rangeOf(q, isoDate(clock.now()));
    const data = await profitability.campaigns(db, res.locals.business.id, range, q.threshold);
    render(
      req,
      res,
      { page: 'pages/business/campaigns.njk', partial: 'partials/campaigns/table.njk' },
      { ...data, range, preset, threshold: q.threshold, presets: PRESETS, presetLabels: PRESET_LABELS },
    );
  });
  router.get('/customers', async (req, res) => {
    const { preset, range } = rangeOf(parseOrThrow(customerQuery, req.query), isoDate(clock.now()));
    const rows = await counterparties.customers(db, res.locals.business.id, range);
    render(req, res, { page: 'pages/business/customers.njk', partial: 'partials/customers/table.njk' }, { rows, range, preset, presets: PRESETS, presetLabels: PRESET_LABELS });
  });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import * as metrics from '../../../services/reports/metrics.ts';
import * as subscriptions from '../../../services/reports/subscriptions.ts';
import { isoDate } from '../../../services/core/clock.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { day } from '../../../services/core/dates.ts';
import { addMonths, monthStart } from '../../../services/reports/periods.ts';

const historyQuery = z.object({ start_date: day().optional(), end_date: day().optional() });
const subscriptionsQuery = z
  .object({ start_date: day().optional(), end_date: day().optional() })
  .refine((q) => !q.start_date || !q.end_date || q.start_date <= q.end_date, { message: 'start_date must not be after end_date', path: ['end_date'] });

/** Metric snapshots as JSON. /metrics/history is registered before /metrics only for reading order; the paths do not overlap. Money is integer minor units of the business's base currency, named in `currency`. */
export function metricsApiRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router();

  router.get('/metrics/history', async (req, res) => {
    const { business } = res.locals;
    const q = parseOrThrow(historyQuery, req.query);
    const list = await metrics.history(db, business.id, q.start_date, q.end_date);
    res.json({ business_id: business.id, currency: business.currency, metrics: list.map((h) => ({ as_of: h.as_of, ...h.metrics })) });
  });

  // Subscription metrics by month (services/reports/subscriptions.ts); by default the last twelve months through today.
  router.get('/metrics/subscriptions', async (req, res) => {
    const { business } = res.locals;
    const q = parseOrThrow(subscriptionsQuery, req.query);
    const to = q.end_date ?? isoDate(clock.now());
    const from = q.start_date ?? addMonths(monthStart(to), -11);
    const months = await subscriptions.subscriptionMonths(db, business.id, { from, to });
    res.json({ business_id: business.id, currency: business.currency, start_date: from, end_date: to, has_subscriptions: months.length > 0, months: months.map(subscriptions.apiMonth) });
  });

  router.get('/metrics', async (_req, res) => {
    const { business } = res.locals;
    const now = clock.now();
    const snap = await metrics.current(db, business.id, isoDate(now), now);
    res.json({ business_id: business.id, currency: business.currency, as_of: snap?.as_of ?? null, ...(snap?.metrics ?? {}) });
  });

  return router;
}

import { Router } from 'express';
import * as metrics from '../../services/reports/metrics.ts';
import { isoDate } from '../../services/core/clock.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';

/** The latest metric snapshot and the history of each metric, and the subscription metrics when the business has subscriptions. */
export function metricsRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/metrics', async (req, res) => {
    render(req, res, { page: 'pages/business/metrics.njk' }, await metrics.page(db, res.locals.business.id, isoDate(clock.now())));
  });
  return router;
}

import { Router } from 'express';
import * as metrics from '../../services/reports/metrics.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';

/** The latest metric snapshot and the history of each metric. */
export function metricsRoutes({ db }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/metrics', async (req, res) => {
    render(req, res, { page: 'pages/business/metrics.njk' }, await metrics.page(db, res.locals.business.id));
  });
  return router;
}

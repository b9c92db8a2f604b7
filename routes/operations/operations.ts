import { Router } from 'express';
import * as health from '../../services/core/health.ts';
import * as jobs from '../../services/jobs/runtime.ts';
import { Forbidden } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';
import { requireUser } from '../support/auth.ts';
import { isOperator } from '../../services/access/operators.ts';

/** The operator page: is the instance healthy, and how did the recent job runs end. */
export function operationsRoutes({ db, config }: AppDeps): Router {
  const router = Router();
  router.get('/ops', requireUser, async (req, res) => {
    if (!isOperator(config, res.locals.user.email)) throw new Forbidden('The operator page is for the people who run this Bursar instance.');
    const [report, runs] = await Promise.all([health.check(db, config.version), jobs.recentRuns(db, 50)]);
    render(req, res, { page: 'pages/operations.njk' }, { report, runs });
  });
  return router;
}

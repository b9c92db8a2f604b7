import { Router } from 'express';
import * as overview from '../../services/overview.ts';
import { isoDate } from '../../services/core/clock.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';

/** The business's home page. */
export function overviewRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const summary = await overview.forBusiness(db, res.locals.business.id, isoDate(clock.now()));
    render(req, res, { page: 'pages/business/overview.njk' }, { summary });
  });
  return router;
}

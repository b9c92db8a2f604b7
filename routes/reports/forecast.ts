import { Router } from 'express';
import { z } from 'zod';
import * as forecast from '../../services/reports/forecast/forecast.ts';
import * as cashPosition from '../../services/reports/runway.ts';
import { isoDate } from '../../services/core/clock.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';
import { parseOrThrow } from '../support/validate.ts';

const query = z.object({ horizon: z.coerce.number().int().min(30).max(730).catch(365).default(365) });
const HORIZONS = [30, 90, 180, 365, 730];

/** The Monte Carlo cash forecast, its track record and its latest backtest. */
export function forecastRoutes({ db, clock }: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/forecast', async (req, res) => {
    const { horizon } = parseOrThrow(query, req.query);
    const now = clock.now();
    // Runway as every page defines it, beside the forecast's own cash-out days.
    const [data, position] = await Promise.all([forecast.page(db, res.locals.business.id, isoDate(now), horizon, now), cashPosition.position(db, res.locals.business.id, isoDate(now), now)]);
    render(req, res, { page: 'pages/business/forecast.njk', partial: 'partials/forecast/result.njk' }, { ...data, position, horizon, horizons: HORIZONS });
  });
  return router;
}

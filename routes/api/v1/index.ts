import { Router } from 'express';
import type { AppDeps } from '../../support/deps.ts';
import { requireUser } from '../../support/auth.ts';
import { meApiRoutes } from './me.ts';
import { readinessApiRoutes } from './readiness.ts';
import { dashboardApiRoutes } from './dashboard.ts';
import { pnlApiRoutes } from './pnl.ts';
import { forecastApiRoutes } from './forecast.ts';
import { metricsApiRoutes } from './metrics.ts';

/**
 * The JSON API under /api/v1. Callers are authenticated before these routers run
 * (today: the session cookie, with its CSRF token on writes; the accounts issue adds
 * bearer access tokens and personal API tokens to the same middleware). Each area
 * router resolves its business with `resolveBusiness` and calls the same services
 * as the pages.
 */
export function apiRoutes(deps: AppDeps): Router {
  const router = Router();
  router.use(requireUser);
  router.use(meApiRoutes(deps));
  router.use(readinessApiRoutes(deps));
  router.use(dashboardApiRoutes(deps));
  router.use(pnlApiRoutes(deps));
  router.use(forecastApiRoutes(deps));
  router.use(metricsApiRoutes(deps));
  return router;
}

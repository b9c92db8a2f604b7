import { Router } from 'express';
import type { AppDeps } from '../../support/deps.ts';
import { authenticateBearer, requireUser } from '../../support/auth.ts';
import { meApiRoutes } from './me.ts';
import { readinessApiRoutes } from './readiness.ts';
import { dashboardApiRoutes } from './dashboard.ts';
import { pnlApiRoutes } from './pnl.ts';
import { forecastApiRoutes } from './forecast.ts';
import { metricsApiRoutes } from './metrics.ts';
import { authApiRoutes } from './auth.ts';
import { usersApiRoutes } from './users.ts';
import { expenseApiRoutes } from './expenses.ts';
import { receiptApiRoutes } from './receipts.ts';
import { importApiRoutes } from './imports.ts';
import { agentApiRoutes } from './agent.ts';

/**
 * The JSON API under /api/v1. Callers are authenticated before these routers run:
 * a Bearer access token or personal API token, else the session cookie (with its
 * CSRF token on writes). Only the token endpoints under /auth need neither. Each area
 * router resolves its business with `resolveBusiness` and calls the same services
 * as the pages.
 */
export function apiRoutes(deps: AppDeps): Router {
  const router = Router();
  router.use(authApiRoutes(deps));
  router.use(authenticateBearer(deps));
  router.use(requireUser);
  router.use(meApiRoutes(deps));
  router.use(readinessApiRoutes(deps));
  router.use(dashboardApiRoutes(deps));
  router.use(pnlApiRoutes(deps));
  router.use(forecastApiRoutes(deps));
  router.use(metricsApiRoutes(deps));
  router.use(usersApiRoutes(deps));
  router.use(expenseApiRoutes(deps));
  router.use(receiptApiRoutes(deps));
  router.use(importApiRoutes(deps));
  router.use(agentApiRoutes(deps));
  return router;
}

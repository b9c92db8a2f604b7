import { Router } from 'express';
import type { AppDeps } from '../../support/deps.ts';
import { authenticateBearer, requireUser } from '../../support/auth.ts';
import { apiMembership, viewersReadOnly } from '../../support/tenant.ts';
import { meApiRoutes } from './me.ts';
import { readinessApiRoutes } from './readiness.ts';
import { dashboardApiRoutes } from './dashboard.ts';
import { pnlApiRoutes } from './pnl.ts';
import { forecastApiRoutes } from './forecast.ts';
import { metricsApiRoutes } from './metrics.ts';
import { authApiRoutes } from './auth.ts';
import { businessDetailsApiRoutes, usersApiRoutes } from './users.ts';
import { expenseApiRoutes } from './expenses.ts';
import { receiptApiRoutes } from './receipts.ts';
import { importApiRoutes, readImportForm } from './imports.ts';
import { agentApiRoutes } from './agent.ts';
import { limitHeavy } from '../../support/heavy.ts';
import { integrationApiRoutes } from './integrations.ts';

/**
 * Every business-scoped route of the JSON API, behind one membership check
 * (apiMembership) and the viewers' read-only net, so a route added to any of these
 * routers is covered without a line of its own. Handlers read `res.locals.business`
 * and `res.locals.role`. Area routers are mounted without a path, so `listRoutes`
 * (and the walk test built on it) sees every route's full path.
 */
export function businessApiRoutes(deps: AppDeps): Router {
  const router = Router();
  // POST /imports names its business in a multipart field, so its form is read before
  // the business is resolved.
  router.post('/imports', limitHeavy(deps, 'import'), readImportForm());
  router.use(apiMembership(deps));
  router.use(viewersReadOnly);
  router.use(readinessApiRoutes(deps));
  router.use(dashboardApiRoutes(deps));
  router.use(pnlApiRoutes(deps));
  router.use(forecastApiRoutes(deps));
  router.use(metricsApiRoutes(deps));
  router.use(businessDetailsApiRoutes(deps));
  router.use(expenseApiRoutes(deps));
  router.use(receiptApiRoutes(deps));
  router.use(importApiRoutes(deps));
  router.use(agentApiRoutes(deps));
  router.use(integrationApiRoutes(deps));
  return router;
}

/**
 * The JSON API under /api/v1. Callers are authenticated before these routers run:
 * a Bearer access token or personal API token, else the session cookie (with its
 * CSRF token on writes). Only the token endpoints under /auth need neither. The
 * account's own routes (profile, creating a business) come before the business
 * routes; every other route is business-scoped.
 */
export function apiRoutes(deps: AppDeps): Router {
  const router = Router();
  router.use(authApiRoutes(deps));
  router.use(authenticateBearer(deps));
  router.use(requireUser);
  router.use(meApiRoutes(deps));
  router.use(usersApiRoutes(deps));
  router.use(businessApiRoutes(deps));
  return router;
}

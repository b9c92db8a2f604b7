import { Router } from 'express';
import type { AppDeps } from './support/deps.ts';
import { dashboardRoutes } from './reports/dashboard.ts';
import { pnlRoutes } from './reports/pnl.ts';
import { metricsRoutes } from './reports/metrics.ts';
import { forecastRoutes } from './reports/forecast.ts';
import { definitionRoutes } from './reports/definitions.ts';
import { profitabilityRoutes } from './reports/profitability.ts';
import { scenarioRoutes } from './reports/scenarios.ts';
import { settingsRoutes } from './access/settings.ts';
import { readinessRoutes } from './readiness/readiness.ts';
import { memberRoutes } from './access/members.ts';
import { viewersReadOnly } from './support/tenant.ts';
import { expenseRoutes } from './ledger/expenses.ts';
import { receiptRoutes } from './ledger/receipts.ts';
import { importRoutes } from './ledger/imports.ts';
import { categoryRoutes } from './ledger/categories.ts';
import { ruleRoutes } from './ledger/rules.ts';
import { saleRoutes } from './ledger/sales.ts';
import { rateRoutes } from './ledger/rates.ts';
import { chatRoutes } from './agent/chat.ts';
import { suggestedChangeRoutes } from './agent/suggested-changes.ts';
import { connectionRoutes } from './integrations/connections.ts';
import { digestPreferenceRoutes } from './email/digest-preferences.ts';

/**
 * Every page of one business, mounted at /b/:businessId behind the membership
 * check. Area routers are mounted here without a path of their own, so
 * `listRoutes` (and the stranger test built on it) sees every route's full path.
 */
export function businessRoutes(deps: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(viewersReadOnly);
  router.use(dashboardRoutes(deps));
  router.use(pnlRoutes(deps));
  router.use(metricsRoutes(deps));
  router.use(forecastRoutes(deps));
  router.use(definitionRoutes(deps));
  router.use(profitabilityRoutes(deps));
  router.use(scenarioRoutes(deps));
  router.use(settingsRoutes(deps));
  router.use(readinessRoutes(deps));
  router.use(memberRoutes(deps));
  router.use(expenseRoutes(deps));
  router.use(receiptRoutes(deps));
  router.use(importRoutes(deps));
  router.use(categoryRoutes(deps));
  router.use(ruleRoutes(deps));
  router.use(saleRoutes(deps));
  router.use(rateRoutes(deps));
  router.use(chatRoutes(deps));
  router.use(suggestedChangeRoutes(deps));
  router.use(connectionRoutes(deps));
  router.use(digestPreferenceRoutes(deps));
  return router;
}

export type RouteInfo = { method: string; path: string };

type Layer = { slash?: boolean; route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/**
 * The method and path of every route registered on a router (the pages' or the API's),
 * through routers mounted without a path. A route registered on several paths is listed
 * once per path. A router mounted at a path would hide that prefix from the list (and
 * from the walk tests built on it), so meeting one is an error.
 */
export function listRoutes(router: Router): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const method of Object.keys(layer.route.methods)) {
        if (method !== '_all') out.push(...paths.map((path) => ({ method: method.toUpperCase(), path })));
      }
    } else if (layer.handle?.stack) {
      if (!layer.slash) throw new Error('listRoutes: a router is mounted at a path; mount area routers without one');
      out.push(...listRoutes(layer.handle as unknown as Router));
    }
  }
  return out;
}

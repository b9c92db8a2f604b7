import { Router } from 'express';
import type { AppDeps } from './support/deps.ts';
import { dashboardRoutes } from './reports/dashboard.ts';
import { pnlRoutes } from './reports/pnl.ts';
import { metricsRoutes } from './reports/metrics.ts';
import { forecastRoutes } from './reports/forecast.ts';
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
import { rateRoutes } from './ledger/rates.ts';
import { chatRoutes } from './agent/chat.ts';
import { suggestedChangeRoutes } from './agent/suggested-changes.ts';

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
  router.use(rateRoutes(deps));
  router.use(chatRoutes(deps));
  router.use(suggestedChangeRoutes(deps));
  return router;
}

export type RouteInfo = { method: string; path: string };

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** The method and path of every route registered on a router, through routers mounted without a path. */
export function listRoutes(router: Router): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) {
        if (method !== '_all') out.push({ method: method.toUpperCase(), path: layer.route.path });
      }
    } else if (layer.handle?.stack) {
      out.push(...listRoutes(layer.handle as unknown as Router));
    }
  }
  return out;
}

import { Router } from 'express';
import type { AppDeps } from './support/deps.ts';
import { dashboardRoutes } from './business/dashboard.ts';
import { pnlRoutes } from './business/pnl.ts';
import { metricsRoutes } from './business/metrics.ts';
import { forecastRoutes } from './business/forecast.ts';
import { profitabilityRoutes } from './business/profitability.ts';
import { scenarioRoutes } from './business/scenarios.ts';
import { settingsRoutes } from './business/settings.ts';
import { readinessRoutes } from './business/readiness.ts';
import { memberRoutes } from './business/members.ts';
import { viewersReadOnly } from './support/tenant.ts';
import { expenseRoutes } from './business/expenses.ts';
import { receiptRoutes } from './business/receipts.ts';
import { importRoutes } from './business/imports.ts';
import { categoryRoutes } from './business/categories.ts';
import { ruleRoutes } from './business/rules.ts';
import { rateRoutes } from './business/rates.ts';
import { chatRoutes } from './business/chat.ts';
import { suggestedChangeRoutes } from './business/suggested-changes.ts';

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

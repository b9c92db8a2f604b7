import { Router } from 'express';
import type { AppDeps } from '../../support/deps.ts';
import { requireUser } from '../../support/auth.ts';
import { meApiRoutes } from './me.ts';
import { readinessApiRoutes } from './readiness.ts';
import { agentApiRoutes } from './agent.ts';

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
  router.use(agentApiRoutes(deps));
  return router;
}

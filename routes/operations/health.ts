import { Router } from 'express';
import * as health from '../../services/core/health.ts';
import type { AppDeps } from '../support/deps.ts';

export function healthRoutes({ db, config }: AppDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const report = await health.check(db, config.version);
    res.status(report.ok ? 200 : 503).json(report);
  });
  return router;
}

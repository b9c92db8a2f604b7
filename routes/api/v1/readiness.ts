import { Router, type Request } from 'express';
import { z } from 'zod';
import * as readiness from '../../../services/readiness/scores.ts';
import * as recommendations from '../../../services/readiness/recommendations.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireWriter } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { NotFound } from '../../../services/core/errors.ts';

const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(90) });

export function readinessApiRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router();

  router.get('/readiness', async (_req, res) => {
    const { business } = res.locals;
    const current = await readiness.latest(db, business.id);
    if (!current) throw new NotFound('The readiness score has not been computed yet.');
    res.json({ score: current.score, tier: current.tier, as_of: current.as_of, components: current.components });
  });

  router.get('/readiness/history', async (req, res) => {
    const { business } = res.locals;
    const { limit } = parseOrThrow(historyQuery, req.query);
    res.json({ scores: await readiness.history(db, business.id, limit) });
  });

  router.get('/recommendations', async (req, res) => {
    const { business } = res.locals;
    const filter = parseOrThrow(recommendations.listFilter, req.query);
    const items = await recommendations.list(db, business.id, filter);
    res.json({
      recommendations: items.map(({ id, rule, priority, title, why, action, figures, status, created_at, updated_at }) => ({
        id,
        rule,
        priority,
        title,
        why,
        action,
        figures,
        status,
        created_at,
        updated_at,
      })),
    });
  });

  router.patch('/recommendations/:id', requireWriter, async (req: Request<{ id: string }>, res) => {
    const { business } = res.locals;
    const { status } = parseOrThrow(recommendations.statusInput, req.body);
    const item = await recommendations.setStatus(db, clock, business.id, req.params.id, status, res.locals.user.id);
    res.json({ id: item.id, status: item.status });
  });

  return router;
}

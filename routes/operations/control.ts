import { Router } from 'express';
import { z } from 'zod';
import { runJob } from '../../services/jobs/runtime.ts';
import { tokenMatches } from '../../services/jobs/control.ts';
import { BadRequest, Forbidden, NotFound } from '../../services/core/errors.ts';
import { JOBS } from '../../jobs/registry.ts';
import type { AppDeps } from '../support/deps.ts';
import { parseOrThrow } from '../support/validate.ts';

const body = z.object({ name: z.string().min(1).max(100), business_id: z.uuid().optional(), dry_run: z.boolean().optional() });

/**
 * POST /internal/jobs: `npm run job` asking the running embedded app to run a job by
 * hand, with the token from the control file (services/jobs/control.ts). Only mounted
 * when this process owns an embedded database; no session, no cookie, no CSRF token.
 */
export function controlRoutes(deps: AppDeps): Router {
  const router = Router();
  const { control } = deps;
  if (!control) return router;
  router.post('/internal/jobs', async (req, res) => {
    const given = req.get('authorization')?.replace(/^Bearer /, '');
    if (!tokenMatches(control.token, given)) throw new Forbidden('This needs the token of the running instance.');
    const input = parseOrThrow(body, req.body);
    const job = JOBS.find((j) => j.name === input.name);
    if (!job) throw new NotFound(`There is no job "${input.name}".`);
    if (input.dry_run && !job.dryRun) throw new BadRequest(`The job "${input.name}" has no dry run.`);
    const payload = { ...(input.business_id ? { businessId: input.business_id } : {}), ...(input.dry_run ? { dryRun: true } : {}) };
    res.json(await runJob(job, deps, 'manual', payload, input.business_id ?? job.name));
  });
  return router;
}

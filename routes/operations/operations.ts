import { Router, type Response } from 'express';
import { z } from 'zod';
import * as health from '../../services/core/health.ts';
import * as jobs from '../../services/jobs/runtime.ts';
import { Forbidden, NotFound } from '../../services/core/errors.ts';
import { JOBS } from '../../jobs/registry.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { requireUser } from '../support/auth.ts';
import { parseOrThrow } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { isOperator } from '../../services/access/operators.ts';

const runForm = z.object({ job: z.string().min(1).max(100) });

/** The operator page: is the instance healthy, what the queue holds, how the recent runs ended, and "run now". */
export function operationsRoutes({ db, config, clock, jobs: local }: AppDeps): Router {
  const router = Router();
  const operatorOnly = (res: Response) => {
    if (!isOperator(config, res.locals.user.email)) throw new Forbidden('The operator page is for the people who run this Bursar instance.');
  };

  router.get('/ops', requireUser, async (req, res) => {
    operatorOnly(res);
    const [report, runs, queue] = await Promise.all([health.check(db, config.version), jobs.recentRuns(db, 50), jobs.queueState(db)]);
    render(req, res, { page: 'pages/operations.njk' }, { report, runs, queue, jobNames: JOBS.filter((j) => j.schedule).map((j) => j.name) });
  });

  // Enqueued like a scheduled run, for whichever worker is free (this process's, or the jobs app's).
  router.post('/ops/runs', requireUser, async (req, res) => {
    operatorOnly(res);
    const { job: name } = parseOrThrow(runForm, req.body);
    const job = JOBS.find((j) => j.name === name && j.schedule);
    if (!job) throw new NotFound(`There is no scheduled job "${name}".`);
    const queued = await jobs.enqueue(db, clock.now(), job.name, {}, { singletonKey: job.name, trigger: 'manual', maxAttempts: 1 });
    local?.nudge();
    flash(req, queued ? 'success' : 'info', queued ? `${job.name} is queued; it runs as soon as a worker is free.` : `${job.name} is already waiting to run.`);
    redirectAfterPost(req, res, '/ops');
  });
  return router;
}

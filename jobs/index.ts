import type { JobContext } from '../services/jobs/runtime.ts';
import { createWorker, startScheduler, type Worker } from '../services/jobs/worker.ts';
import { enqueueStale } from '../services/jobs/figures.ts';
import { JOBS } from './registry.ts';
import { bootstrap } from '../scripts/bootstrap.ts';
import { isEntryPoint } from '../services/core/entry.ts';

export type BackgroundWork = { worker: Worker; stop(graceMs?: number): Promise<void> };

/**
 * The workers and the schedule: what the `jobs` app runs under pm2, and what `npm start`
 * runs inside the web process on embedded PGlite. Any number may run on one database:
 * a scheduled tick is one queue row, and each job is claimed by one worker.
 */
export function startBackgroundWork(ctx: JobContext, opts: { lanes?: number; pollMs?: number } = {}): BackgroundWork {
  const worker = createWorker(ctx, JOBS, {
    lanes: opts.lanes,
    pollMs: opts.pollMs,
    // Between jobs: enqueue a refresh for every business whose figures are behind its data.
    idle: () => enqueueStale(ctx.db, ctx.clock.now()),
  });
  worker.start();
  const scheduler = startScheduler(ctx, JOBS, () => worker.nudge());
  ctx.logger.info({ scheduled: JOBS.filter((j) => j.schedule).map((j) => `${j.name} (${j.schedule})`) }, 'scheduler started');
  return {
    worker,
    stop: async (graceMs) => {
      scheduler.stop();
      await worker.stop(graceMs);
    },
  };
}

if (isEntryPoint(import.meta.url)) {
  const ctx = await bootstrap();
  const background = startBackgroundWork(ctx, { lanes: 2 });
  process.send?.('ready');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // pm2 waits kill_timeout (see ecosystem.config.js) before it kills: finish or hand back within it.
    await background.stop(8_000);
    await ctx.db.destroy();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

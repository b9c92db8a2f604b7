import path from 'node:path';
import { pathToFileURL } from 'node:url';
import cron from 'node-cron';
import type { JobContext } from '../services/jobs/runtime.ts';
import { runJob } from '../services/jobs/runtime.ts';
import { JOBS } from './registry.ts';
import { bootstrap } from '../scripts/bootstrap.ts';

/**
 * Schedules every job. Run as the single `jobs` app under pm2; any number of
 * schedulers is still safe, since each run takes the job's advisory lock.
 */
export function startScheduler(ctx: JobContext): { stop(): void } {
  const tasks = JOBS.map((job) => cron.schedule(job.schedule, () => void runJob(job, ctx, 'schedule'), { name: job.name, noOverlap: true }));
  ctx.logger.info({ jobs: JOBS.map((j) => `${j.name} (${j.schedule})`) }, 'scheduler started');
  return {
    stop: () => {
      for (const t of tasks) t.stop();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const ctx = await bootstrap();
  const scheduler = startScheduler(ctx);
  process.send?.('ready');
  const stop = async () => {
    scheduler.stop();
    await ctx.db.destroy();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

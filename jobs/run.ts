import { runJob } from '../services/jobs/runtime.ts';
import { JOBS } from './registry.ts';
import { bootstrap } from '../scripts/bootstrap.ts';

// `npm run job -- NAME`: runs one job now, recorded like a scheduled run.
const name = process.argv[2];
const job = JOBS.find((j) => j.name === name);
if (!job) {
  process.stderr.write(`Unknown job "${name ?? ''}". Jobs: ${JOBS.map((j) => j.name).join(', ')}\n`);
  process.exit(2);
}
const ctx = await bootstrap();
const outcome = await runJob(job, ctx, 'manual');
await ctx.db.destroy();
process.stdout.write(`${job.name}: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ''}\n`);
process.exit(outcome.status === 'failed' ? 1 : 0);

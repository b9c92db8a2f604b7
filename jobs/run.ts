import { parseArgs } from 'node:util';
import { runJob, type RunOutcome } from '../services/jobs/runtime.ts';
import { findRunningApp } from '../services/jobs/control.ts';
import { loadConfig } from '../services/core/config.ts';
import { JOBS } from './registry.ts';
import { bootstrap } from '../scripts/bootstrap.ts';

/**
 * `npm run job -- NAME [--business ID] [--dry-run]`: runs one job now, under the same
 * singleton lock and recorded like any other run. On embedded PGlite with `npm start`
 * running, the running app runs it (no second process may open that database); otherwise
 * this process does. `--dry-run` asks a job that supports it (digests) what it would do.
 */
const { positionals, values } = parseArgs({ allowPositionals: true, options: { business: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
const name = positionals[0];
const job = JOBS.find((j) => j.name === name);
if (!job) {
  process.stderr.write(`Unknown job "${name ?? ''}". Jobs: ${JOBS.map((j) => j.name).join(', ')}\n`);
  process.exit(2);
}
const businessId = values.business;
const dryRun = values['dry-run'] === true;
if (dryRun && !job.dryRun) {
  process.stderr.write(`${job.name} has no dry run; nothing was run.\n`);
  process.exit(2);
}
const payload = { ...(businessId ? { businessId } : {}), ...(dryRun ? { dryRun } : {}) };

let outcome: RunOutcome;
try {
  process.loadEnvFile('.env');
} catch {}
const running = process.env.DATABASE_URL ? null : await findRunningApp(loadConfig(process.env));
if (running) {
  const res = await fetch(`${running.url}/internal/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, business_id: businessId, dry_run: dryRun || undefined }),
  });
  const answer = await res.json();
  if (!res.ok) {
    process.stderr.write(`${job.name}: the running app refused: ${answer?.error?.message ?? res.status}\n`);
    process.exit(1);
  }
  outcome = answer;
  process.stdout.write(`(run by the app listening at ${running.url})\n`);
} else {
  const ctx = await bootstrap();
  outcome = await runJob(job, ctx, 'manual', payload, businessId ?? job.name);
  await ctx.db.destroy();
}
const report = outcome.result?.report;
if (Array.isArray(report)) process.stdout.write(`${report.join('\n')}\n`);
process.stdout.write(`${job.name}: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ''}\n`);
process.exit(outcome.status === 'failed' ? 1 : 0);

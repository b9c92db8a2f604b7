import { createHash } from 'node:crypto';
import type { Db } from '../core/db.ts';
import { isEmbedded } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Config } from '../core/config.ts';

export type JobContext = { db: Db; clock: Clock; logger: Logger; config: Config };

/** A job binds a schedule (node-cron syntax) to one service call. `run` must be safe to repeat. */
export type Job = {
  name: string;
  schedule: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a job that reports nothing returns nothing.
  run(ctx: JobContext): Promise<Record<string, unknown> | void>;
};

export type RunOutcome = { status: 'succeeded' | 'failed' | 'skipped'; runId: string | null; error?: string };

/** A stable 64-bit advisory-lock key for a job name. */
function lockKey(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`bursar:job:${name}`).digest('hex').slice(0, 16)}`)).toString();
}

// Embedded PGlite is one process with one connection: an in-process set stands in for the advisory lock.
const embeddedLocks = new Set<string>();

/**
 * Runs a job once, unless another process (or this one) is running it already: then
 * it is skipped. Every run that starts is recorded in job_runs with its outcome.
 */
export async function runJob(job: Job, ctx: JobContext, trigger: 'schedule' | 'manual' = 'schedule'): Promise<RunOutcome> {
  const { db, clock, logger } = ctx;
  return withLock(db, job.name, async (locked) => {
    if (!locked) {
      logger.info({ job: job.name }, 'job already running elsewhere; skipped');
      return { status: 'skipped', runId: null };
    }
    const [run] = await db('job_runs').insert({ job: job.name, trigger, status: 'running', started_at: clock.now() }).returning('id');
    try {
      const result = (await job.run(ctx)) ?? {};
      await db('job_runs')
        .where({ id: run.id })
        .update({ status: 'succeeded', finished_at: clock.now(), result: JSON.stringify(result) });
      logger.info({ job: job.name, result }, 'job succeeded');
      return { status: 'succeeded', runId: run.id };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await db('job_runs').where({ id: run.id }).update({ status: 'failed', finished_at: clock.now(), error: message });
      logger.error({ job: job.name, err }, 'job failed');
      return { status: 'failed', runId: run.id, error: message };
    }
  });
}

async function withLock<T>(db: Db, name: string, fn: (locked: boolean) => Promise<T>): Promise<T> {
  if (isEmbedded(db)) {
    if (embeddedLocks.has(name)) return fn(false);
    embeddedLocks.add(name);
    try {
      return await fn(true);
    } finally {
      embeddedLocks.delete(name);
    }
  }
  // A session-level advisory lock lives on one connection, so hold that connection for the run.
  const key = lockKey(name);
  const conn = await db.client.acquireConnection();
  try {
    const { rows } = await conn.query('select pg_try_advisory_lock($1::bigint) as locked', [key]);
    if (!rows[0].locked) return await fn(false);
    try {
      return await fn(true);
    } finally {
      await conn.query('select pg_advisory_unlock($1::bigint)', [key]);
    }
  } finally {
    await db.client.releaseConnection(conn);
  }
}

/** The latest runs, newest first, for the operator page. */
export async function recentRuns(db: Db, limit = 50) {
  return db('job_runs').orderBy('started_at', 'desc').limit(limit);
}

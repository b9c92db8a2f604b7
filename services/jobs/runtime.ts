import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Config } from '../core/config.ts';

/**
 * The durable job queue, on the application's own database (job_queue): work is a row,
 * so it survives a restart, runs on whichever host's worker claims it first, and can be
 * enqueued in the same transaction as the change that calls for it. A claim takes a lease
 * (locked_until) that a running job renews; a worker that dies lets its lease run out and
 * the next worker takes the job over. A job that throws is tried again after a backoff
 * that doubles, until its attempts are spent. Every attempt is a job_runs row.
 *
 * Written here rather than taken from pg-boss or graphile-worker: both need a pg pool of
 * their own, which embedded PGlite (one in-process connection, owned by knex) cannot give,
 * and both read time from the database, where the tests need the injected clock.
 */

export type JobContext = { db: Db; clock: Clock; logger: Logger; config: Config };

export type JobPayload = Record<string, unknown>;

/** What a running job can do with its claim. */
export type JobHandle = {
  id: string;
  attempt: number;
  /** This is the last attempt: a failure now fails the job for good. */
  final: boolean;
  /** Renews the lease; throws LeaseLost when another worker has taken the job over. Call it between chunks of long work. */
  heartbeat(): Promise<void>;
};

/** A job binds a name (and optionally a node-cron schedule) to one service call. `run` must be safe to repeat. */
export type Job = {
  name: string;
  /** node-cron syntax; absent for jobs that only run when enqueued. */
  schedule?: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a job that reports nothing returns nothing.
  run(ctx: JobContext, payload: JobPayload, handle: JobHandle): Promise<Record<string, unknown> | void>;
  /** Attempts before the job is failed for good (default 3). */
  maxAttempts?: number;
  /** The wait before the second attempt; doubled for each one after (default 30 s). */
  backoffSeconds?: number;
  /** How long a claim lasts without a heartbeat (default 5 minutes). */
  leaseSeconds?: number;
  /** Takes `{ dryRun: true }`: reports what it would do (`result.report`) and changes nothing. */
  dryRun?: boolean;
};

export type QueueRow = {
  id: string;
  name: string;
  payload: JobPayload;
  singleton_key: string | null;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
  max_attempts: number;
  run_after: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  trigger: string;
};

export type EnqueueOptions = {
  /** At most one queued and one running job per name and key. */
  singletonKey?: string;
  /** At most one job ever per name and key (a scheduled tick). */
  dedupeKey?: string;
  runAfter?: Date;
  maxAttempts?: number;
  trigger?: 'event' | 'schedule' | 'manual';
};

export class LeaseLost extends Error {
  constructor(id: string) {
    super(`job ${id} was taken over by another worker`);
  }
}

const DEFAULT_LEASE_SECONDS = 300;
const DEFAULT_BACKOFF_SECONDS = 30;
const MAX_BACKOFF_SECONDS = 3600;

/** A name for this worker that an operator can trace to a host and process. */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Adds a job; returns its id, or null when a job with the same singleton key is already
 * waiting (it will see the same data) or the dedupe key was used before.
 */
export async function enqueue(db: Db, now: Date, name: string, payload: JobPayload = {}, opts: EnqueueOptions = {}): Promise<string | null> {
  const result = await db.raw(
    `insert into job_queue (name, payload, singleton_key, dedupe_key, max_attempts, run_after, trigger, created_at)
     values (?, ?::jsonb, ?, ?, ?, ?, ?, ?) on conflict do nothing returning id`,
    [name, JSON.stringify(payload), opts.singletonKey ?? null, opts.dedupeKey ?? null, opts.maxAttempts ?? 3, opts.runAfter ?? now, opts.trigger ?? 'event', now],
  );
  return result.rows[0] ? String(result.rows[0].id) : null;
}

/**
 * Claims the next due job among `names` (or exactly job `onlyId`): a queued one whose
 * time has come, or a running one whose lease has run out. Skips a job whose singleton
 * key is running elsewhere. Null when there is nothing to do.
 */
export async function claim(db: Db, now: Date, worker: string, names: string[], leaseSeconds: (name: string) => number, onlyId?: string): Promise<QueueRow | null> {
  const due = await db.raw(
    `select id, name from job_queue c
     where c.name = any(?) ${onlyId ? 'and c.id = ?' : ''}
       and ((c.state = 'queued' and c.run_after <= ?) or (c.state = 'running' and c.locked_until < ?))
       and (c.singleton_key is null or c.state = 'running' or not exists (
         select 1 from job_queue r where r.name = c.name and r.singleton_key = c.singleton_key and r.state = 'running'))
     order by c.run_after, c.id
     limit 5`,
    onlyId ? [names, onlyId, now, now] : [names, now, now],
  );
  for (const candidate of due.rows as { id: string; name: string }[]) {
    const lockedUntil = new Date(now.getTime() + leaseSeconds(candidate.name) * 1000);
    try {
      // The state test again in the update: another worker may have claimed it since the select.
      const claimed = await db.raw(
        `update job_queue set state = 'running', attempts = attempts + 1, locked_by = ?, locked_until = ?, started_at = ?
         where id = ? and ((state = 'queued' and run_after <= ?) or (state = 'running' and locked_until < ?))
         returning *`,
        [worker, lockedUntil, now, candidate.id, now, now],
      );
      if (claimed.rows[0]) return normalise(claimed.rows[0]);
    } catch (err) {
      // Two queued jobs of one singleton key raced to run: the unique index let one through.
      if ((err as { code?: string }).code !== '23505') throw err;
    }
  }
  return null;
}

function normalise(row: QueueRow): QueueRow {
  return { ...row, id: String(row.id), payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload };
}

/** Renews a claim; false when the job is no longer this worker's. */
export async function renew(db: Db, now: Date, worker: string, id: string, leaseSeconds: number): Promise<boolean> {
  const n = await db('job_queue')
    .where({ id, locked_by: worker, state: 'running' })
    .update({ locked_until: new Date(now.getTime() + leaseSeconds * 1000) });
  return n > 0;
}

/** Hands a claimed job back untouched (a worker shutting down): the next worker starts it at once. */
export async function release(db: Db, worker: string, id: string): Promise<void> {
  await db('job_queue')
    .where({ id, locked_by: worker, state: 'running' })
    .update({ state: 'queued', attempts: db.raw('greatest(attempts - 1, 0)'), locked_by: null, locked_until: null });
  await db('job_runs').where({ queue_id: id, status: 'running' }).update({ status: 'interrupted', error: 'the worker stopped; the job was handed back' });
}

/**
 * Hands back every running job at once: for a process that knows it is the only worker
 * (embedded PGlite, which no other process may open), whatever was running belonged to
 * a process that has died. Returns how many.
 */
export async function releaseAll(db: Db, now: Date): Promise<number> {
  await db('job_runs').where({ status: 'running' }).update({ status: 'interrupted', finished_at: now, error: 'the process stopped before the job finished' });
  return db('job_queue').where({ state: 'running' }).update({ state: 'queued', locked_by: null, locked_until: null, run_after: now });
}

/** The wait before attempt `attempt + 1`. */
export function backoff(baseSeconds: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, baseSeconds * 2 ** Math.max(0, attempt - 1));
}

export type RunOutcome = { status: 'succeeded' | 'failed' | 'retrying' | 'skipped'; runId: string | null; error?: string; result?: Record<string, unknown> };

/**
 * Runs a claimed job and records the attempt: succeeded; or, when it throws, queued
 * again after a backoff, or failed for good once its attempts are spent. An attempt
 * that an earlier worker left running (its lease ran out) is recorded as interrupted.
 */
export async function execute(job: Job, ctx: JobContext, row: QueueRow, worker: string, alive: () => boolean = () => true): Promise<RunOutcome> {
  const { db, clock, logger } = ctx;
  const lease = job.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  // The lease is renewed for as long as this process lives, whatever the job is waiting on
  // (one long statement, say): only a worker that has died lets its job go.
  const renewal = setInterval(
    () => {
      if (alive()) renew(db, clock.now(), worker, row.id, lease).catch((err) => logger.warn({ err, job: job.name }, 'a lease could not be renewed'));
    },
    (lease * 1000) / 3,
  );
  renewal.unref();
  await db('job_runs').where({ queue_id: row.id, status: 'running' }).update({ status: 'interrupted', finished_at: clock.now(), error: 'the worker stopped before the job finished' });
  const [run] = await db('job_runs').insert({ job: job.name, trigger: row.trigger, status: 'running', started_at: clock.now(), queue_id: row.id, attempt: row.attempts }).returning('id');
  const handle: JobHandle = {
    id: row.id,
    attempt: row.attempts,
    final: row.attempts >= row.max_attempts,
    heartbeat: async () => {
      if (!(await renew(db, clock.now(), worker, row.id, lease))) throw new LeaseLost(row.id);
    },
  };
  try {
    if (row.attempts > row.max_attempts) throw new Error(`stopped ${row.attempts - 1} times without finishing`);
    const result = (await job.run(ctx, row.payload, handle)) ?? {};
    await db('job_runs')
      .where({ id: run.id })
      .update({ status: 'succeeded', finished_at: clock.now(), result: JSON.stringify(result) });
    await db('job_queue').where({ id: row.id, locked_by: worker }).update({ state: 'succeeded', finished_at: clock.now(), locked_by: null, locked_until: null, last_error: null });
    logger.info({ job: job.name, queueId: row.id, result }, 'job succeeded');
    return { status: 'succeeded', runId: run.id, result };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await db('job_runs').where({ id: run.id }).update({ status: 'failed', finished_at: clock.now(), error: message });
    if (err instanceof LeaseLost) {
      logger.warn({ job: job.name, queueId: row.id }, message);
      return { status: 'failed', runId: run.id, error: message };
    }
    const final = row.attempts >= row.max_attempts;
    const retryAt = new Date(clock.now().getTime() + backoff(job.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS, row.attempts) * 1000);
    await db('job_queue')
      .where({ id: row.id, locked_by: worker })
      .update(
        final
          ? { state: 'failed', finished_at: clock.now(), locked_by: null, locked_until: null, last_error: message }
          : { state: 'queued', run_after: retryAt, locked_by: null, locked_until: null, last_error: message },
      );
    logger.error({ job: job.name, queueId: row.id, attempt: row.attempts, err, retryAt: final ? null : retryAt }, final ? 'job failed for good' : 'job failed; it will be tried again');
    return { status: final ? 'failed' : 'retrying', runId: run.id, error: message };
  } finally {
    clearInterval(renewal);
  }
}

/**
 * Runs a job here and now, by hand or from a test: enqueued under its singleton key
 * (the job's name, or `key`), claimed and executed in this process. Skipped when the
 * same job is already running somewhere.
 */
export async function runJob(job: Job, ctx: JobContext, trigger: 'schedule' | 'manual' = 'manual', payload: JobPayload = {}, key = job.name): Promise<RunOutcome> {
  const { db, clock, logger } = ctx;
  const worker = workerId();
  const id = (await enqueue(db, clock.now(), job.name, payload, { singletonKey: key, trigger, maxAttempts: 1 })) ?? (await waitingId(db, job.name, key));
  const row = id ? await claim(db, clock.now(), worker, [job.name], () => job.leaseSeconds ?? DEFAULT_LEASE_SECONDS, id) : null;
  if (!row) {
    // Not left behind to run later: a run by hand that cannot start now is skipped, not deferred.
    if (id) await db('job_queue').where({ id, state: 'queued', trigger }).update({ state: 'cancelled', finished_at: clock.now() });
    logger.info({ job: job.name }, 'job already running elsewhere; skipped');
    return { status: 'skipped', runId: null };
  }
  return execute(job, ctx, row, worker);
}

async function waitingId(db: Db, name: string, key: string): Promise<string | null> {
  const row = await db('job_queue').where({ name, singleton_key: key, state: 'queued' }).first('id');
  return row ? String(row.id) : null;
}

/** The latest runs, newest first, for the operator page. */
export async function recentRuns(db: Db, limit = 50) {
  return db('job_runs').orderBy('started_at', 'desc').limit(limit);
}

/** What the operator page shows of the queue: counts by job and state, and the jobs waiting, running or failed. */
export async function queueState(db: Db, limit = 30) {
  const [counts, active] = await Promise.all([
    db('job_queue').groupBy('name', 'state').orderBy('name').select('name', 'state', db.raw('count(*)::int as n')),
    db('job_queue')
      .whereIn('state', ['queued', 'running', 'failed'])
      .orderByRaw(`case state when 'running' then 0 when 'queued' then 1 else 2 end, created_at desc`)
      .limit(limit)
      .select('id', 'name', 'state', 'attempts', 'max_attempts', 'run_after', 'locked_by', 'locked_until', 'last_error', 'trigger', 'created_at', 'singleton_key'),
  ]);
  return { counts, active };
}

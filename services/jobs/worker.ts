import cron from 'node-cron';
import { claim, enqueue, execute, release, workerId, type Job, type JobContext, type RunOutcome } from './runtime.ts';

/**
 * A worker takes due jobs off the queue, one at a time per lane, until it is stopped.
 * It wakes when nudged (a job enqueued by this process), else every `pollMs`; between
 * jobs it runs `idle` (the figures' stale check). Stopping lets the job in hand finish
 * for up to `graceMs`, then hands it back so the next worker starts it at once.
 */
export type Worker = {
  id: string;
  start(): void;
  stop(graceMs?: number): Promise<void>;
  /** Wakes the worker now: a job was just enqueued. */
  nudge(): void;
  /** Runs due jobs until none is left and none of this worker's is running (tests); returns the outcomes it ran itself. */
  drain(): Promise<RunOutcome[]>;
  /** Runs the one job with this queue id, if it is due. */
  runOne(id: string): Promise<RunOutcome | null>;
  /** Tests only: the worker stops as a killed process would, holding its jobs, renewing nothing, releasing nothing. */
  abandon(): void;
};

export type WorkerOptions = {
  /** Parallel lanes (default 1; embedded PGlite has one connection, so one lane). */
  lanes?: number;
  pollMs?: number;
  /** Called when a lane finds nothing to do, at most every `idleEveryMs`. */
  idle?: () => Promise<unknown>;
  idleEveryMs?: number;
};

export function createWorker(ctx: JobContext, jobs: Job[], opts: WorkerOptions = {}): Worker {
  const { db, clock, logger } = ctx;
  const id = workerId();
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const names = [...byName.keys()];
  const lease = (name: string) => byName.get(name)?.leaseSeconds ?? 300;
  const pollMs = opts.pollMs ?? 1000;
  const inHand = new Set<string>();
  let running = false;
  let dead = false;
  let wake: (() => void) | null = null;
  let lastIdle = 0;
  const lanes: Promise<void>[] = [];

  const inFlight = new Set<Promise<unknown>>();

  async function next(onlyId?: string): Promise<RunOutcome | null> {
    const row = await claim(db, clock.now(), id, names, lease, onlyId);
    if (!row) return null;
    inHand.add(row.id);
    const run = execute(byName.get(row.name)!, ctx, row, id, () => !dead);
    inFlight.add(run);
    try {
      return await run;
    } finally {
      inHand.delete(row.id);
      inFlight.delete(run);
    }
  }

  async function lane(): Promise<void> {
    while (running) {
      let outcome: RunOutcome | null = null;
      try {
        outcome = await next();
        if (!outcome && opts.idle && Date.now() - lastIdle >= (opts.idleEveryMs ?? 2000)) {
          lastIdle = Date.now();
          await opts.idle();
        }
      } catch (err) {
        // The database away (a restart, a failover): wait a poll and try again.
        logger.warn({ err, worker: id }, 'the job worker could not reach the queue');
      }
      if (outcome || !running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    id,
    start() {
      if (running) return;
      running = true;
      for (let i = 0; i < (opts.lanes ?? 1); i++) lanes.push(lane());
      logger.info({ worker: id, jobs: names, lanes: opts.lanes ?? 1 }, 'job worker started');
    },
    async stop(graceMs = 10_000) {
      running = false;
      wake?.();
      const finished = Promise.all(lanes).then(() => true);
      const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
      if (!(await Promise.race([finished, timedOut]))) {
        for (const jobId of inHand) await release(db, id, jobId).catch((err) => logger.error({ err, jobId }, 'a job could not be handed back'));
        logger.warn({ worker: id, handedBack: [...inHand] }, 'jobs still running at shutdown were handed back');
      }
      lanes.length = 0;
    },
    nudge() {
      wake?.();
    },
    async drain() {
      const outcomes: RunOutcome[] = [];
      for (;;) {
        for (let o = await next(); o; o = await next()) outcomes.push(o);
        // Jobs this worker started elsewhere (a nudge) count too: wait for them, then look again.
        if (!inFlight.size) return outcomes;
        await Promise.allSettled([...inFlight]);
      }
    },
    runOne: (queueId) => next(queueId),
    abandon() {
      dead = true;
      running = false;
    },
  };
}

/**
 * Enqueues every scheduled job at each of its ticks. However many schedulers run (one per
 * web process in embedded mode, one per jobs app), a tick is one row: its dedupe key is
 * the job's name and the minute.
 */
export type Scheduler = { stop(): void; fire(job: Job, at: Date): Promise<string | null> };

export function startScheduler(ctx: JobContext, jobs: Job[], onEnqueued: () => void = () => {}): Scheduler {
  const fire = async (job: Job, at: Date) => {
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString();
    const queued = await enqueue(ctx.db, at, job.name, {}, { singletonKey: job.name, dedupeKey: `tick:${minute}`, trigger: 'schedule', maxAttempts: job.maxAttempts });
    if (queued) onEnqueued();
    return queued;
  };
  const tasks = jobs
    .filter((job) => job.schedule)
    .map((job) =>
      cron.schedule(
        job.schedule!,
        () => {
          fire(job, ctx.clock.now()).catch((err) => ctx.logger.warn({ err, job: job.name }, 'a scheduled job could not be enqueued'));
        },
        { name: job.name },
      ),
    );
  return {
    stop: () => {
      for (const t of tasks) t.stop();
    },
    fire,
  };
}

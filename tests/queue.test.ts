import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enqueue, type Job, type JobContext } from '../services/jobs/runtime.ts';
import { createWorker, startScheduler } from '../services/jobs/worker.ts';
import { createLogger } from '../services/core/logger.ts';
import * as imports from '../services/ledger/imports/index.ts';
import { createReceiptStore } from '../services/ledger/receipts/store.ts';
import { JOBS } from '../jobs/registry.ts';
import { createTestApp, insertBusiness, insertUser, type TestContext } from './helpers.ts';

describe('the job queue', () => {
  let ctx: TestContext;
  let jobCtx: JobContext;
  before(async () => {
    ctx = await createTestApp();
    jobCtx = { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: ctx.config };
  });
  after(() => ctx.close());

  const runsOf = (name: string) => ctx.db('job_runs').where({ job: name }).orderBy('started_at').orderBy('attempt').select('status', 'attempt', 'trigger', 'error');

  test('two schedulers on one database enqueue a tick once, and two workers run it once', async () => {
    let runs = 0;
    const tick: Job = { name: 'every-minute', schedule: '* * * * *', run: async () => ({ run: ++runs }) };
    const a = startScheduler(jobCtx, [tick]);
    const b = startScheduler(jobCtx, [tick]);
    a.stop();
    b.stop();
    const at = ctx.clock.now();
    const later = new Date(at.getTime() + 20_000); // the same minute, seen a little later by the other host
    assert.ok(await a.fire(tick, at));
    assert.equal(await b.fire(tick, later), null, 'the second scheduler finds the tick taken');
    const one = createWorker(jobCtx, [tick]);
    const two = createWorker(jobCtx, [tick]);
    await Promise.all([one.drain(), two.drain()]);
    assert.equal(runs, 1);
    // The next minute is another tick.
    ctx.clock.advance(60_000);
    assert.ok(await b.fire(tick, ctx.clock.now()));
    await two.drain();
    ctx.clock.advance(-60_000);
    assert.equal(runs, 2);
    assert.deepEqual(
      (await runsOf('every-minute')).map((r) => [r.status, r.trigger]),
      [
        ['succeeded', 'schedule'],
        ['succeeded', 'schedule'],
      ],
    );
  });

  test('a job that throws is tried again after a backoff that doubles, and every attempt is recorded', async () => {
    let attempt = 0;
    const flaky: Job = {
      name: 'flaky-provider',
      backoffSeconds: 30,
      maxAttempts: 3,
      run: async () => {
        attempt++;
        if (attempt < 3) throw new Error(`provider timed out (${attempt})`);
        return { synced: 12 };
      },
    };
    const worker = createWorker(jobCtx, [flaky]);
    const id = await enqueue(ctx.db, ctx.clock.now(), flaky.name, {});
    assert.deepEqual(
      (await worker.drain()).map((o) => o.status),
      ['retrying'],
    );
    const waiting = await ctx.db('job_queue').where({ id }).first();
    assert.equal(waiting.state, 'queued');
    assert.equal(new Date(waiting.run_after).getTime() - ctx.clock.now().getTime(), 30_000);
    assert.deepEqual(await worker.drain(), [], 'not before its time');
    ctx.clock.advance(30_000);
    await worker.drain();
    const second = await ctx.db('job_queue').where({ id }).first();
    assert.equal(new Date(second.run_after).getTime() - ctx.clock.now().getTime(), 60_000, 'the second wait is twice the first');
    ctx.clock.advance(60_000);
    assert.deepEqual(
      (await worker.drain()).map((o) => o.status),
      ['succeeded'],
    );
    assert.deepEqual(
      (await runsOf('flaky-provider')).map((r) => [r.status, r.attempt, r.error]),
      [
        ['failed', 1, 'provider timed out (1)'],
        ['failed', 2, 'provider timed out (2)'],
        ['succeeded', 3, null],
      ],
    );
    assert.equal((await ctx.db('job_queue').where({ id }).first()).state, 'succeeded');
  });

  test('a job that keeps failing is failed for good once its attempts are spent', async () => {
    const broken: Job = {
      name: 'always-broken',
      backoffSeconds: 1,
      maxAttempts: 2,
      run: async () => {
        throw new Error('bad credentials');
      },
    };
    const worker = createWorker(jobCtx, [broken]);
    const id = await enqueue(ctx.db, ctx.clock.now(), broken.name, {}, { maxAttempts: 2 });
    await worker.drain();
    ctx.clock.advance(1000);
    assert.deepEqual(
      (await worker.drain()).map((o) => o.status),
      ['failed'],
    );
    ctx.clock.advance(3_600_000);
    assert.deepEqual(await worker.drain(), [], 'a failed job is not tried again');
    const row = await ctx.db('job_queue').where({ id }).first();
    assert.deepEqual([row.state, row.attempts, row.last_error], ['failed', 2, 'bad credentials']);
  });

  test('one queued and one running job per singleton key: a second enqueue while one waits is the same job', async () => {
    const first = await enqueue(ctx.db, ctx.clock.now(), 'refresh-like', { n: 1 }, { singletonKey: 'biz-1' });
    const second = await enqueue(ctx.db, ctx.clock.now(), 'refresh-like', { n: 2 }, { singletonKey: 'biz-1' });
    const otherKey = await enqueue(ctx.db, ctx.clock.now(), 'refresh-like', { n: 3 }, { singletonKey: 'biz-2' });
    assert.ok(first);
    assert.equal(second, null);
    assert.ok(otherKey);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const seen: unknown[] = [];
    const job: Job = {
      name: 'refresh-like',
      run: async (_ctx, payload) => {
        seen.push(payload.n);
        if (payload.n === 1) {
          started();
          await gate;
        }
      },
    };
    const a = createWorker(jobCtx, [job]);
    const b = createWorker(jobCtx, [job]);
    const running = a.runOne(first!);
    await firstStarted;
    // While biz-1 runs, a change queues one more biz-1 job; a second worker runs biz-2 but not that one.
    const queuedBehind = await enqueue(ctx.db, ctx.clock.now(), 'refresh-like', { n: 4 }, { singletonKey: 'biz-1' });
    assert.ok(queuedBehind);
    await b.drain();
    assert.deepEqual(seen, [1, 3]);
    release();
    await running;
    await b.drain();
    assert.deepEqual(seen, [1, 3, 4]);
  });

  test('a worker that dies mid-job loses it when its lease runs out, and another worker takes it over', async () => {
    let calls = 0;
    let started!: () => void;
    const claimed = new Promise<void>((r) => (started = r));
    const hang: Job = {
      name: 'long-sync',
      leaseSeconds: 60,
      run: async () => {
        calls++;
        if (calls === 1) {
          started();
          await new Promise(() => {}); // the first worker never comes back
        }
        return { resumed: true };
      },
    };
    const dead = createWorker(jobCtx, [hang]);
    const id = await enqueue(ctx.db, ctx.clock.now(), hang.name, {});
    void dead.runOne(id!);
    await claimed;
    dead.abandon();
    const rescuer = createWorker(jobCtx, [hang]);
    assert.deepEqual(await rescuer.drain(), [], 'the lease still holds');
    ctx.clock.advance(61_000);
    assert.deepEqual(
      (await rescuer.drain()).map((o) => o.status),
      ['succeeded'],
    );
    assert.deepEqual(
      (await runsOf('long-sync')).map((r) => [r.status, r.attempt]),
      [
        ['interrupted', 1],
        ['succeeded', 2],
      ],
    );
  });

  test('a worker killed mid-import, restarted, finishes with exactly the file’s rows and sum, resuming where it stopped', async () => {
    const owner = await insertUser(ctx.db);
    const business = await insertBusiness(ctx.db, owner.id, { currency: 'USD' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-kill-'));
    const file = path.join(dir, 'year.csv');
    const lines = ['Date,Description,Amount'];
    let sum = 0;
    for (let i = 0; i < 12_000; i++) {
      const cents = -(100 + ((i * 7919) % 9000));
      sum += cents;
      lines.push(`2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')},Supplier ${i % 37} invoice,${(cents / 100).toFixed(2)}`);
    }
    writeFileSync(file, lines.join('\n'));
    const store = createReceiptStore(ctx.config.receipts);
    const batch = await imports.importFile(ctx.db, store, { id: business.id, currency: 'USD' }, { userId: owner.id, now: ctx.clock.now() }, { path: file, originalname: 'year.csv' }, {});

    // The first worker stops dead after its first chunk is committed, as a killed process would.
    let killed!: () => void;
    const stoppedDead = new Promise<void>((r) => (killed = r));
    imports.setAfterChunkForTests(async (_id, chunk) => {
      if (chunk === 1) {
        killed();
        await new Promise(() => {});
      }
    });
    const first = createWorker(jobCtx, JOBS);
    const job = await ctx.db('job_queue').where({ name: imports.IMPORT_JOB, singleton_key: batch.id }).first('id');
    void first.runOne(String(job.id));
    await stoppedDead;
    first.abandon();
    imports.setAfterChunkForTests(null);
    const cut = await imports.find(ctx.db, business.id, batch.id);
    assert.equal(cut.status, 'running');
    assert.ok(cut.staged_through > 0, 'a chunk was staged before the worker died');
    assert.equal(Number((await ctx.db('transactions').where({ business_id: business.id }).count({ n: '*' }))[0].n), 0, 'the ledger holds none of the batch');

    // Restarted: after the dead worker's lease, another takes the job over and resumes.
    ctx.clock.advance(61_000);
    const restarted = createWorker(jobCtx, JOBS);
    await restarted.drain();
    const done = await imports.find(ctx.db, business.id, batch.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const ledger = await ctx.db('transactions').where({ business_id: business.id }).first(ctx.db.raw('count(*)::int as n'), ctx.db.raw('sum(amount)::bigint as total'));
    assert.equal(ledger.n, 12_000);
    assert.equal(Number(ledger.total), sum);
    assert.equal(done.imported, 12_000);
    assert.equal(Number(done.total_amount), sum);
    assert.equal(Number((await ctx.db('import_staged_rows').where({ batch_id: batch.id }).count({ n: '*' }))[0].n), 0, 'nothing is left staged');
    assert.deepEqual(
      (await ctx.db('job_runs').where({ queue_id: job.id }).orderBy('attempt').select('status')).map((r) => r.status),
      ['interrupted', 'succeeded'],
    );
  });
});

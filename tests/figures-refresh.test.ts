import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../server.ts';
import { systemClock } from '../services/core/clock.ts';
import { createLogger } from '../services/core/logger.ts';
import { testConfig } from '../services/core/config.ts';
import { startBackgroundWork, type BackgroundWork } from '../jobs/index.ts';
import * as figures from '../services/jobs/figures.ts';
import { createWorker } from '../services/jobs/worker.ts';
import { JOBS } from '../jobs/registry.ts';
import { createTestApp, createTestDb, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';
import type { Db } from '../services/core/db.ts';

describe('figures that refresh themselves', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('a change to the ledger queues one refresh, and the refresh records the version it computed', async () => {
    const owner = await insertUser(ctx.db);
    const biz = await insertBusiness(ctx.db, owner.id);
    const now = ctx.clock.now();
    const worker = createWorker({ ...ctx, logger: createLogger('silent') }, JOBS);
    // Its default categories are data too: the first refresh settles them.
    await figures.enqueueStale(ctx.db, now);
    ctx.clock.advance(figures.DEBOUNCE_MS);
    await worker.drain();
    ctx.clock.advance(-figures.DEBOUNCE_MS);
    assert.equal(await figures.enqueueStale(ctx.db, now), 0, 'figures that are current need nothing');
    await insertLedgerRows(ctx.db, biz.id, [{ kind: 'sale', amount: 50_000, occurred_on: '2026-10-02' }]);
    await insertLedgerRows(ctx.db, biz.id, [{ kind: 'expense', amount: -12_000, occurred_on: '2026-10-03' }]);
    assert.equal(await figures.enqueueStale(ctx.db, now), 1);
    assert.equal(await figures.enqueueStale(ctx.db, now), 0, 'one refresh per business, however many changes');
    assert.deepEqual(await worker.drain(), [], 'debounced: not before a moment has passed');
    ctx.clock.advance(figures.DEBOUNCE_MS);
    const [outcome] = await worker.drain();
    ctx.clock.advance(-figures.DEBOUNCE_MS);
    assert.equal(outcome.status, 'succeeded');
    assert.ok(await ctx.db('metric_snapshots').where({ business_id: biz.id }).first(), 'metrics exist');
    assert.ok(await ctx.db('readiness_scores').where({ business_id: biz.id }).first(), 'a readiness score exists');
    // The readiness score the refresh wrote is itself a stored figure: it does not call for another refresh.
    assert.equal(await figures.enqueueStale(ctx.db, now), 0);
    await insertLedgerRows(ctx.db, biz.id, [{ kind: 'expense', amount: -1_000, occurred_on: '2026-10-04' }]);
    assert.equal(await figures.enqueueStale(ctx.db, now), 1, 'a later change makes them stale again');
  });
});

describe('figures under npm start', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let background: BackgroundWork;
  before(async () => {
    ({ db, drop } = await createTestDb());
  });
  after(async () => {
    await background?.stop(1000);
    await drop();
  });

  test('a new business has its readiness and metrics within 10 s of its first import, with no job run by hand', async () => {
    const config = testConfig();
    const logger = createLogger('silent');
    // As server.ts does in embedded mode: the workers and the schedule run beside the web app, on the real clock.
    background = startBackgroundWork({ db, config, clock: systemClock, logger });
    const app = createApp({ db, config, clock: systemClock, logger, jobs: background.worker });
    const owner = await insertUser(db);
    const biz = await insertBusiness(db, owner.id, { currency: 'EUR' });
    const session = await signIn(app, owner.email, owner.password);
    const lines = ['Date,Description,Amount'];
    for (let m = 1; m <= 10; m++) {
      lines.push(`2026-${String(m).padStart(2, '0')}-03,Customer payment,4200.00`);
      lines.push(`2026-${String(m).padStart(2, '0')}-09,Rent,-1500.00`);
    }
    const imported = await session.agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', session.csrf)
      .field('business_id', biz.id)
      .attach('file', Buffer.from(lines.join('\n')), 'history.csv');
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    const started = Date.now();
    let readiness = null;
    while (!readiness && Date.now() - started < 10_000) {
      readiness = await db('readiness_scores').where({ business_id: biz.id }).first();
      if (!readiness) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(readiness, `no readiness score ${Date.now() - started} ms after the import`);
    const metrics = await session.agent.get(`/api/v1/metrics`).query({ business_id: biz.id });
    assert.equal(metrics.status, 200);
    const page = await session.agent.get(`/b/${biz.id}/readiness`);
    assert.doesNotMatch(page.text, /1 month of history/);
  });
});

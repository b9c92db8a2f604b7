import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rates from '../services/ledger/exchange-rates.ts';
import { addMember, createTestApp, insertUser, signIn, signedInOwner, type TestContext } from './helpers.ts';

describe('exchange rates', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    ({ businessId, owner } = await signedInOwner(ctx));
  });
  after(() => ctx.close());

  test('a rate typed by hand is stored and used in either direction, nearest earlier day', async () => {
    const res = await owner.agent.post(`/b/${businessId}/rates`).type('form').send({ _csrf: owner.csrf, day: '2026-11-02', base: 'gbp', quote: 'USD', rate: '1.25' });
    assert.equal(res.status, 303);
    assert.equal(await rates.rateOn(ctx.db, businessId, 'GBP', 'USD', '2026-11-05'), 1.25);
    assert.equal(await rates.rateOn(ctx.db, businessId, 'USD', 'GBP', '2026-11-05'), 0.8);
    assert.equal(await rates.rateOn(ctx.db, businessId, 'GBP', 'USD', '2026-11-01'), null);
    const bad = await owner.agent.post(`/b/${businessId}/rates`).type('form').send({ _csrf: owner.csrf, day: '2026-11-02', base: 'USD', quote: 'USD', rate: '-1' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /two different currencies|above zero/);
  });

  test('rates import from CSV, and a bad line is named', async () => {
    const ok = await owner.agent
      .post(`/b/${businessId}/rate-imports`)
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.from('day,base,quote,rate\n2026-11-01,EUR,USD,1.1\n2026-11-02,EUR,USD,1.2\n'), 'rates.csv');
    assert.equal(ok.status, 303);
    assert.equal(await rates.rateOn(ctx.db, businessId, 'EUR', 'USD', '2026-11-03'), 1.2);
    const bad = await owner.agent
      .post(`/b/${businessId}/rate-imports`)
      .field('_csrf', owner.csrf)
      .attach('file', Buffer.from('day,base,quote,rate\n2026-11-03,EUR,USD,1.3\n2026-11-04,EUR,XYZ,1.3\n'), 'rates.csv');
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Line 3/);
    assert.equal(await rates.rateOn(ctx.db, businessId, 'EUR', 'USD', '2026-11-03'), 1.2, 'nothing from the bad file was stored');
  });

  test("a stranger's rate leaves another business's conversions unchanged, and a business's own rate wins on its day", async () => {
    const stranger = await signedInOwner(ctx);
    const mine = await signedInOwner(ctx, { currency: 'USD' });
    await mine.owner.agent.post(`/b/${mine.businessId}/rates`).type('form').send({ _csrf: mine.owner.csrf, day: '2026-11-01', base: 'EUR', quote: 'USD', rate: '1.10' });
    const res = await stranger.owner.agent.post(`/b/${stranger.businessId}/rates`).type('form').send({ _csrf: stranger.owner.csrf, day: '2026-11-10', base: 'EUR', quote: 'USD', rate: '1000' });
    assert.equal(res.status, 303);
    const expense = await mine.owner.agent
      .post(`/b/${mine.businessId}/expenses`)
      .type('form')
      .send({ _csrf: mine.owner.csrf, occurred_on: '2026-11-20', description: 'Hotel in Lyon', amount: '100.00', currency: 'EUR' });
    assert.equal(expense.status, 303);
    const row = await ctx.db('transactions').where({ business_id: mine.businessId, description: 'Hotel in Lyon' }).first('amount_base');
    assert.equal(row.amount_base, -11000, "EUR 100.00 at the business's own 1.10, not the stranger's 1000");
    await ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: '2026-11-01', rate: 1.2, source: 'sync' });
    assert.equal(await rates.rateOn(ctx.db, mine.businessId, 'EUR', 'USD', '2026-11-05'), 1.1, 'own rate wins on the same day');
    await ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: '2026-11-03', rate: 1.3, source: 'sync' });
    assert.equal(await rates.rateOn(ctx.db, mine.businessId, 'EUR', 'USD', '2026-11-05'), 1.3, 'a newer reference rate is used');
  });

  test('a rate too small to store is refused with a field message', async () => {
    const res = await owner.agent.post(`/b/${businessId}/rates`).type('form').send({ _csrf: owner.csrf, day: '2026-11-02', base: 'EUR', quote: 'USD', rate: '1e-320' });
    assert.equal(res.status, 422);
    assert.match(res.text, /at least 0\.000001/);
  });

  test('a viewer or member cannot change the rates', async () => {
    for (const role of ['viewer', 'member'] as const) {
      const u = await insertUser(ctx.db);
      await addMember(ctx.db, businessId, u.id, role);
      const s = await signIn(ctx.app, u.email, u.password);
      const res = await s.agent.post(`/b/${businessId}/rates`).type('form').send({ _csrf: s.csrf, day: '2026-11-09', base: 'EUR', quote: 'USD', rate: '9' });
      assert.equal(res.status, 403, role);
    }
  });
});

describe('rates sync job', () => {
  test("the job stores the day's rates from the configured endpoint, and skips without one", async () => {
    const { createServer } = await import('node:http');
    const { runJob } = await import('../services/jobs/runtime.ts');
    const { default: syncRates } = await import('../jobs/sync-rates.ts');
    const { createLogger } = await import('../services/core/logger.ts');
    const ctx = await createTestApp();
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ base: 'EUR', date: '2026-11-24', rates: { USD: 1.08, GBP: 0.86, XXZ: 3 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const jobCtx = { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: { ...ctx.config, ratesUrl: `http://127.0.0.1:${port}/latest` } };
      const outcome = await runJob(syncRates, jobCtx, 'manual');
      assert.equal(outcome.status, 'succeeded');
      const { businessId: anyBusiness } = await signedInOwner(ctx);
      assert.equal(await rates.rateOn(ctx.db, anyBusiness, 'EUR', 'USD', '2026-11-25'), 1.08, 'a reference rate converts for every business');
      assert.equal(
        await ctx
          .db('exchange_rates')
          .where({ source: 'sync' })
          .count({ n: '*' })
          .first()
          .then((r) => Number(r!.n)),
        2,
      );
      const skipped = await runJob(syncRates, { ...jobCtx, config: ctx.config }, 'manual');
      assert.equal(skipped.status, 'succeeded');
    } finally {
      server.close();
      await ctx.close();
    }
  });
});

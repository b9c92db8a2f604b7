import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertUser, insertBusiness, insertLedgerRows, addMember, signIn, TODAY, type TestContext } from './helpers.ts';
import { addDays } from '../services/core/clock.ts';

let ctx: TestContext;
let bizId: string;
let owner: Awaited<ReturnType<typeof signIn>>;

/** 120 days of a shop that sells 20,000 a day and pays 150,000 rent on the 1st, from 1,000,000 opening cash. */
before(async () => {
  ctx = await createTestApp();
  const user = await insertUser(ctx.db);
  const biz = await insertBusiness(ctx.db, user.id, { name: 'API Shop' });
  bizId = biz.id;
  const rows: Parameters<typeof insertLedgerRows>[2] = [{ kind: 'transfer', amount: 1_000_000, occurred_on: addDays(TODAY, -119) }];
  for (let i = 0; i < 120; i++) {
    const day = addDays(TODAY, -i);
    rows.push({ kind: 'sale', amount: 20_000, occurred_on: day });
    if (day.endsWith('-01')) rows.push({ kind: 'expense', amount: -150_000, occurred_on: day, counterparty: 'Landlord' });
  }
  await insertLedgerRows(ctx.db, bizId, rows);
  owner = await signIn(ctx.app, user.email, user.password);
});
after(() => ctx.close());

test('GET /dashboard/stats gives the figures in minor units with the currency and no readiness yet', async () => {
  const res = await owner.agent.get(`/api/v1/dashboard/stats?business_id=${bizId}&preset=custom&from=2026-11-01&to=2026-11-25`);
  assert.equal(res.status, 200);
  assert.equal(res.body.currency, 'USD');
  assert.equal(res.body.revenue.value, 25 * 20_000);
  assert.equal(res.body.expenses.value, 150_000);
  assert.equal(res.body.net_profit.value, 350_000);
  assert.equal(res.body.readiness, null);
});

test('GET /pnl gives months × lines and totals', async () => {
  const res = await owner.agent.get(`/api/v1/pnl?business_id=${bizId}&start_date=2026-10-01&end_date=2026-11-25`);
  assert.equal(res.status, 200);
  assert.deepEqual(
    res.body.months.map((m: { month: string }) => m.month),
    ['2026-10', '2026-11'],
  );
  const revenue = res.body.lines.find((l: { key: string }) => l.key === 'gross_sales');
  assert.deepEqual(revenue.cells, [31 * 20_000, 25 * 20_000]);
  assert.equal(res.body.totals.net, 56 * 20_000 - 2 * 150_000);
  const bad = await owner.agent.get(`/api/v1/pnl?business_id=${bizId}&start_date=2026-12-01&end_date=2026-11-25`);
  assert.equal(bad.status, 422);
});

test('POST /forecast needs the CSRF header with a session, and gives percentiles by day and p(cash<0)', async () => {
  const refused = await owner.agent.post('/api/v1/forecast').send({ business_id: bizId });
  assert.equal(refused.status, 403);
  const res = await owner.agent.post('/api/v1/forecast').set('X-CSRF-Token', owner.csrf).send({ business_id: bizId, horizon_days: 90, paths: 2000 });
  assert.equal(res.status, 200);
  assert.equal(res.body.percentiles.length, 90);
  assert.equal(res.body.percentiles[0].date, '2026-11-26');
  assert.ok(res.body.p_cash_below_zero < 0.01, 'a shop that earns more than its rent does not run out');
  assert.equal(res.body.recurring[0].counterparty, 'Landlord');
  const again = await owner.agent.post('/api/v1/forecast').set('X-CSRF-Token', owner.csrf).send({ business_id: bizId, horizon_days: 90, paths: 2000 });
  assert.deepEqual(again.body.percentiles, res.body.percentiles, 'seeded: same inputs, same figures');
});

test('GET /metrics computes a snapshot when there is none; /metrics/history lists them', async () => {
  const res = await owner.agent.get(`/api/v1/metrics?business_id=${bizId}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.as_of, TODAY);
  assert.equal(res.body.revenue_total, 30 * 20_000);
  assert.equal(res.body.refund_rate, 0);
  const hist = await owner.agent.get(`/api/v1/metrics/history?business_id=${bizId}`);
  assert.deepEqual(
    hist.body.metrics.map((m: { as_of: string }) => m.as_of),
    [TODAY],
  );
});

test('a viewer reads the reports API; a stranger gets 403', async () => {
  const viewer = await insertUser(ctx.db);
  await addMember(ctx.db, bizId, viewer.id, 'viewer');
  const v = await signIn(ctx.app, viewer.email, viewer.password);
  assert.equal((await v.agent.get(`/api/v1/dashboard/stats?business_id=${bizId}`)).status, 200);
  assert.equal((await v.agent.post('/api/v1/forecast').set('X-CSRF-Token', v.csrf).send({ business_id: bizId, horizon_days: 30, paths: 1000 })).status, 200);
  const stranger = await insertUser(ctx.db);
  await insertBusiness(ctx.db, stranger.id);
  const s = await signIn(ctx.app, stranger.email, stranger.password);
  for (const path of ['/dashboard/stats', '/pnl?start_date=2026-01-01&end_date=2026-02-01', '/metrics', '/metrics/history']) {
    assert.equal((await s.agent.get(`/api/v1${path}${path.includes('?') ? '&' : '?'}business_id=${bizId}`)).status, 403, path);
  }
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertUser, insertBusiness, insertLedgerRows, signIn, TODAY, type TestContext } from './helpers.ts';
import { seedDemo, DEMO_EMAIL, DEMO_PASSWORD } from '../services/demo.ts';
import { mulberry32 } from '../services/reports/forecast/simulate.ts';
import { addDays } from '../services/core/clock.ts';

/**
 * The forecast's track record through the JSON API: rolling-origin backtests on the
 * business's own history, whose P10–P90 band must hold what happened 70–90 % of the time
 * (80 % is what it promises) on both demo businesses and on a history unlike either.
 */

let ctx: TestContext;
let demo: Awaited<ReturnType<typeof signIn>>;
let demoIds: string[];
before(async () => {
  ctx = await createTestApp();
  const seeded = await seedDemo(ctx.db, ctx.clock);
  demoIds = seeded!.businessIds;
  demo = await signIn(ctx.app, DEMO_EMAIL, DEMO_PASSWORD);
});
after(() => ctx.close());

/** A normal draw from a seeded generator. */
function normals(seed: number) {
  const rnd = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * Two years of a business that grew and then broke: daily sales rising from $900 to $1,500
 * a day for 16 months, then falling by a third over the last 8, with weekend peaks and
 * noisy days; rent on the 1st, payroll on the 15th and the last day, card fees on every sale,
 * and a few supplier bills at random. Nothing like the demo's store or studio.
 */
function trendBreakHistory(seed: number) {
  const z = normals(seed);
  const rnd = mulberry32(seed + 1);
  const days = 730;
  const breakAt = 490;
  const rows: { kind: 'sale' | 'fee' | 'expense' | 'transfer'; amount: number; occurred_on: string; counterparty?: string }[] = [];
  const first = addDays(TODAY, -(days - 1));
  rows.push({ kind: 'transfer', amount: 15_000_000, occurred_on: first });
  for (let i = 0; i < days; i++) {
    const day = addDays(first, i);
    const level = i < breakAt ? 90_000 + (60_000 * i) / breakAt : 150_000 - (50_000 * (i - breakAt)) / (days - breakAt);
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    const sales = Math.max(0, Math.round(level * (weekday === 6 || weekday === 0 ? 1.4 : 0.85) + 45_000 * z()));
    rows.push({ kind: 'sale', amount: sales, occurred_on: day }, { kind: 'fee', amount: -Math.round(sales * 0.03), occurred_on: day });
    const dom = Number(day.slice(8, 10));
    const lastDom = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)), 0)).getUTCDate();
    if (dom === 1) rows.push({ kind: 'expense', amount: -950_000, occurred_on: day, counterparty: 'Ridge Street Landlord' });
    if (dom === 15 || dom === lastDom) rows.push({ kind: 'expense', amount: -1_000_000, occurred_on: day, counterparty: 'Payroll' });
    if (rnd() < 0.06) rows.push({ kind: 'expense', amount: -Math.round(100_000 + 400_000 * rnd()), occurred_on: day, counterparty: `Supplier ${i}` });
  }
  return rows;
}

const backtestOf = (agent: typeof demo.agent, businessId: string) => agent.get('/api/v1/forecast/backtest').query({ business_id: businessId });

function assertCalibrated(body: Record<string, unknown>, who: string) {
  const b = body as {
    origins: number;
    horizon_days: number[];
    coverage_p10_p90: number;
    median_abs_pct_error: number;
    horizons: { horizon_days: number; origins: number; coverage_p10_p90: number }[];
  };
  assert.ok(b.origins >= 12, `${who}: ${b.origins} origins`);
  assert.deepEqual(b.horizon_days, [30, 90]);
  for (const h of b.horizons) assert.ok(h.origins >= 12, `${who}: ${h.origins} origins at ${h.horizon_days} days`);
  assert.ok(b.coverage_p10_p90 >= 0.7 && b.coverage_p10_p90 <= 0.9, `${who}: the P10–P90 band held ${(b.coverage_p10_p90 * 100).toFixed(1)} % of the time`);
  assert.ok(b.median_abs_pct_error > 0 && b.median_abs_pct_error < 0.25, `${who}: median error ${b.median_abs_pct_error}`);
}

test("the P10–P90 band held 70–90 % of what happened on each demo business's own history", async () => {
  for (const id of demoIds) {
    const res = await backtestOf(demo.agent, id);
    assert.equal(res.status, 200);
    assert.equal(res.body.enough_history, true);
    assertCalibrated(res.body, res.body.currency);
  }
});

test('on a history whose growth broke into a decline, the band still held 70–90 % of the time', async () => {
  const owner = await insertUser(ctx.db);
  const biz = (await insertBusiness(ctx.db, owner.id)).id;
  await insertLedgerRows(ctx.db, biz, trendBreakHistory(1_402));
  const o = await signIn(ctx.app, owner.email, owner.password);
  const res = await backtestOf(o.agent, biz);
  assert.equal(res.status, 200);
  assertCalibrated(res.body, 'trend break');
});

test('a backtest is stored with the data version: asked again it is not recomputed; a new ledger row makes it recompute', async () => {
  const id = demoIds[1];
  const first = await backtestOf(demo.agent, id);
  const stored = await ctx.db('forecast_backtests').where({ business_id: id }).first();
  assert.ok(stored, 'stored');
  ctx.clock.advance(60_000);
  const again = await backtestOf(demo.agent, id);
  const still = await ctx.db('forecast_backtests').where({ business_id: id }).first();
  assert.equal(new Date(still.computed_at).getTime(), new Date(stored.computed_at).getTime(), 'reused, not recomputed');
  assert.deepEqual(again.body, first.body);
  await insertLedgerRows(ctx.db, id, [{ kind: 'expense', amount: -12_345, occurred_on: addDays(TODAY, -40), currency: 'EUR' }]);
  ctx.clock.advance(60_000);
  const after = await backtestOf(demo.agent, id);
  const fresh = await ctx.db('forecast_backtests').where({ business_id: id }).first();
  assert.ok(Number(fresh.data_version) > Number(stored.data_version), 'stamped with the new data version');
  assert.equal(new Date(fresh.computed_at).getTime(), ctx.clock.now().getTime(), 'recomputed');
  assert.equal(after.status, 200);
});

test("a stranger asking for a business's backtest gets 403 and learns nothing", async () => {
  const stranger = await insertUser(ctx.db);
  const s = await signIn(ctx.app, stranger.email, stranger.password);
  const res = await backtestOf(s.agent, demoIds[0]);
  assert.equal(res.status, 403);
  assert.equal(res.body.coverage_p10_p90, undefined);
});

test('a business with three weeks of history has no backtest yet', async () => {
  const owner = await insertUser(ctx.db);
  const biz = (await insertBusiness(ctx.db, owner.id)).id;
  await insertLedgerRows(
    ctx.db,
    biz,
    Array.from({ length: 21 }, (_, i) => ({ kind: 'sale' as const, amount: 10_000, occurred_on: addDays(TODAY, -i) })),
  );
  const o = await signIn(ctx.app, owner.email, owner.password);
  const res = await backtestOf(o.agent, biz);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { business_id: biz, currency: 'USD', enough_history: false });
});

test('the forecast page says how often the band held and how far the median was off', async () => {
  const id = demoIds[0];
  const api = await backtestOf(demo.agent, id);
  const page = await demo.agent.get(`/b/${id}/forecast`);
  assert.equal(page.status, 200);
  const held = Math.round(api.body.coverage_p10_p90 * 100);
  assert.match(page.text, new RegExp(`id="track-record"[\\s\\S]*held what happened on ${held}% of days`));
  assert.match(page.text, new RegExp(`median was off by ${Math.round(api.body.median_abs_pct_error * 1000) / 10}% of the balance`));
});

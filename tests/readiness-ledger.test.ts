import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as readiness from '../services/readiness/scores.ts';
import * as recommendations from '../services/readiness/recommendations.ts';
import * as metrics from '../services/reports/metrics.ts';
import { seedDemo } from '../services/demo.ts';
import { addDays } from '../services/core/clock.ts';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';

describe('readiness from the ledger', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('chargebacks crossing 0.9% open one high-priority recommendation, which closes when the ratio falls', async () => {
    const user = await insertUser(ctx.db);
    const biz = await insertBusiness(ctx.db, user.id);
    const sales = Array.from({ length: 100 }, (_, i) => ({ kind: 'sale' as const, amount: 5_000, amount_base: 5_000, occurred_on: addDays(TODAY, -(i % 60)) }));
    await insertLedgerRows(ctx.db, biz.id, [...sales, { kind: 'chargeback', amount: -5_000, amount_base: -5_000, occurred_on: addDays(TODAY, -3) }]);
    await readiness.refresh(ctx.db, ctx.clock, biz.id, TODAY);
    await readiness.refresh(ctx.db, ctx.clock, biz.id, TODAY);
    const open = await recommendations.list(ctx.db, biz.id, { status: 'open', priority: 'high' });
    assert.deepEqual(
      open.map((r) => r.rule),
      ['chargeback_ratio'],
      '1 dispute in 100 sales is 1%',
    );
    const more = Array.from({ length: 150 }, (_, i) => ({ kind: 'sale' as const, amount: 5_000, amount_base: 5_000, occurred_on: addDays(TODAY, -(i % 60)) }));
    await insertLedgerRows(ctx.db, biz.id, more);
    await readiness.refresh(ctx.db, ctx.clock, biz.id, TODAY);
    assert.equal((await recommendations.list(ctx.db, biz.id, { status: 'open', priority: 'all' })).filter((r) => r.rule === 'chargeback_ratio').length, 0);
    assert.equal((await recommendations.list(ctx.db, biz.id, { status: 'resolved', priority: 'all' })).length, 1);
  });

  test('on the demo store the score is plausible and its figures are the metrics page’s figures', async () => {
    const seeded = await seedDemo(ctx.db, ctx.clock, { days: 400 });
    const storeId = seeded!.businessIds[0];
    const score = await readiness.latest(ctx.db, storeId);
    assert.ok(score, 'the demo seed scores the business');
    assert.ok(score.score >= 40 && score.score <= 95, `score ${score.score}`);
    assert.ok(['emerging', 'ready', 'strong'].includes(score.tier));
    const snapshot = (await metrics.latest(ctx.db, storeId))!;
    assert.equal(snapshot.as_of, score.as_of);
    for (const key of ['refund_rate', 'chargeback_ratio', 'gross_margin', 'revenue_volatility', 'payout_reliability', 'runway_months', 'months_of_history'] as const) {
      assert.equal(score.inputs[key], snapshot.metrics[key], key);
    }
    assert.equal(score.inputs.monthly_revenue, snapshot.metrics.revenue_total);
    const history = await readiness.history(ctx.db, storeId);
    assert.ok(history.length >= 12, 'a monthly history from the seed');
    const owner = await signIn(ctx.app, 'demo@bursar.local', 'bursar-demo');
    const page = await owner.agent.get(`/b/${storeId}/readiness`);
    const metricsPage = await owner.agent.get(`/b/${storeId}/metrics`);
    const refund = `${(snapshot.metrics.refund_rate! * 100).toFixed(1)}%`;
    assert.ok(page.text.includes(refund), `readiness page shows refund rate ${refund}`);
    assert.ok(metricsPage.text.includes(refund), `metrics page shows refund rate ${refund}`);
    const margin = `${Math.round(snapshot.metrics.gross_margin! * 100)}%`;
    assert.ok(page.text.includes(margin));
    const dashboard = await owner.agent.get(`/b/${storeId}`);
    assert.match(dashboard.text, new RegExp(`data-figure="readiness"[\\s\\S]*?${score.score}<`));
    const api = await owner.agent.get(`/api/v1/dashboard/stats?business_id=${storeId}`);
    assert.deepEqual(api.body.readiness, { score: score.score, tier: score.tier, as_of: score.as_of });
  });
});

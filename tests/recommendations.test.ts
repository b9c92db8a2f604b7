import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recommend, type Signals } from '../services/readiness/recommendation-rules.ts';
import { calm } from './fixtures.ts';
import * as recommendations from '../services/readiness/recommendations.ts';
import { createTestApp, insertBusiness, insertUser, type TestContext } from './helpers.ts';

test('a calm business gets no recommendations', () => {
  assert.deepEqual(recommend(calm), []);
});

test('each rule fires on its condition with the figures that explain it', () => {
  const rules = (s: Partial<Signals>) => recommend({ ...calm, ...s }).map((r) => `${r.rule}:${r.priority}`);
  assert.deepEqual(rules({ chargeback_ratio: 0.0091 }), ['chargeback_ratio:high']);
  assert.deepEqual(rules({ chargeback_ratio: 0.008 }), ['chargeback_ratio:medium']);
  assert.deepEqual(rules({ chargeback_ratio: 0.0074 }), []);
  assert.deepEqual(rules({ campaigns: [{ id: 'x', name: 'Video', platform: 'meta', spend: 50_000, roas: 0.6 }] }), ['campaign_roas:medium']);
  assert.deepEqual(rules({ runway_months: 4 }), ['runway:high']);
  assert.deepEqual(rules({ refund_rate: 0.05, previous_refund_rate: 0.03 }), ['refund_rate_rising:medium']);
  assert.deepEqual(rules({ top_customer_share: 0.6 }), ['customer_concentration:high']);
  assert.deepEqual(rules({ uncategorised_expenses: { count: 3, amount: -12_000 } }), ['uncategorised_expenses:low']);
  const subs = { mrr: 100_000, mrr_three_months_before: 100_000, customers: 40, monthly_customer_churn: 0.02 };
  assert.deepEqual(rules({ subscriptions: subs }), []);
  assert.deepEqual(rules({ subscriptions: { ...subs, monthly_customer_churn: 0.06 } }), ['customer_churn:medium']);
  assert.deepEqual(rules({ subscriptions: { ...subs, mrr: 95_000 } }), ['mrr_shrinking:medium']);
  assert.deepEqual(rules({ subscriptions: { ...subs, mrr: 85_000 } }), ['mrr_shrinking:high']);
  const cb = recommend({ ...calm, chargeback_ratio: 0.0095 })[0];
  assert.match(cb.why, /0\.95%/);
  assert.match(cb.action, /\[Source: reducing-chargebacks\]/);
});

describe('recommendations over time', () => {
  let ctx: TestContext;
  let businessId: string;
  let userId: string;
  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    userId = user.id;
    businessId = (await insertBusiness(ctx.db, user.id)).id;
  });
  after(() => ctx.close());

  test('crossing 0.9 % chargebacks opens exactly one high-priority recommendation, which closes when the ratio falls', async () => {
    const high = { ...calm, chargeback_ratio: 0.0095 };
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend(high));
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend(high));
    let open = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    assert.deepEqual(
      open.map((r) => [r.rule, r.priority]),
      [['chargeback_ratio', 'high']],
    );
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend({ ...calm, chargeback_ratio: 0.003 }));
    open = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    assert.equal(open.length, 0);
    const resolved = await recommendations.list(ctx.db, businessId, { status: 'resolved', priority: 'all' });
    assert.equal(resolved.length, 1);
  });

  test('a dismissed recommendation stays dismissed across recomputes', async () => {
    const slow = { ...calm, runway_months: 8 };
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend(slow));
    const [rec] = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    await recommendations.setStatus(ctx.db, ctx.clock, businessId, rec.id, 'dismissed', userId);
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend({ ...slow, runway_months: 7.5 }));
    assert.equal((await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' })).length, 0);
    const dismissed = await recommendations.list(ctx.db, businessId, { status: 'dismissed', priority: 'all' });
    assert.equal(dismissed.length, 1);
    assert.match(dismissed[0].title, /7\.5 months/, 'the figures are refreshed');
  });

  test('another business cannot change a recommendation', async () => {
    const other = await insertBusiness(ctx.db, userId, { name: 'Other' });
    await recommendations.sync(ctx.db, ctx.clock, businessId, recommend({ ...calm, gross_margin: 0.1 }));
    const [rec] = await recommendations.list(ctx.db, businessId, { status: 'open', priority: 'all' });
    await assert.rejects(recommendations.setStatus(ctx.db, ctx.clock, other.id, rec.id, 'done', userId), /No such recommendation/);
  });
});

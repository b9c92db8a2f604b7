import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDemo, DEMO_EMAIL } from '../services/demo.ts';
import { authenticate } from '../services/access/users.ts';
import { fixedClock } from '../services/core/clock.ts';
import { createTestDb } from './helpers.ts';
import type { Db } from '../services/core/db.ts';

describe('demo data', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let seeded: Awaited<ReturnType<typeof seedDemo>>;
  before(async () => {
    ({ db, drop } = await createTestDb());
    seeded = await seedDemo(db, fixedClock('2026-11-25T08:00:00Z'), { days: 120 });
  });
  after(() => drop());

  test('the demo user signs in with the documented password and owns two businesses', async () => {
    const user = await authenticate(db, DEMO_EMAIL, 'bursar-demo');
    assert.ok(user);
    const roles = await db('memberships').where({ user_id: user.id }).pluck('role');
    assert.deepEqual(roles, ['owner', 'owner']);
  });

  test('seeding again adds nothing', async () => {
    const before = await db('transactions').count({ n: '*' }).first();
    assert.equal(await seedDemo(db, fixedClock('2026-11-26T08:00:00Z'), { days: 120 }), null);
    assert.deepEqual(await db('transactions').count({ n: '*' }).first(), before);
  });

  test('the store looks like a real online store', async () => {
    const store = await db('businesses').where({ name: 'Northwind Goods' }).first();
    const byKind = Object.fromEntries(
      (await db('transactions').where({ business_id: store.id }).groupBy('kind').select('kind', db.raw('count(*)::int as n'), db.raw('sum(amount_base)::bigint as total'))).map((r) => [r.kind, r]),
    );
    for (const kind of ['sale', 'refund', 'fee', 'payout', 'ad_spend', 'cogs', 'expense', 'transfer']) assert.ok(byKind[kind], `has ${kind} rows`);
    const refundRate = byKind.refund.n / byKind.sale.n;
    assert.ok(refundRate > 0.015 && refundRate < 0.05, `refund rate ${refundRate}`);
    assert.equal(
      await db('transactions')
        .where({ business_id: store.id })
        .whereNot('kind', 'transfer')
        .where('occurred_on', '>', '2026-11-25')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
      'nothing in the future',
    );
    const skus = await db('products').where({ business_id: store.id }).count({ n: '*' }).first();
    assert.ok(Number(skus!.n) >= 20 && Number(skus!.n) <= 40);
    const campaigns = await db('ad_campaigns as c')
      .join('ad_campaign_stats as s', 's.campaign_id', 'c.id')
      .where('c.business_id', store.id)
      .groupBy('c.name')
      .select('c.name', db.raw('sum(s.revenue)::float / nullif(sum(s.spend), 0) as roas'));
    assert.ok(campaigns.length >= 4 && campaigns.length <= 6);
    const worst = campaigns.sort((a, b) => a.roas - b.roas);
    assert.ok(worst[0].roas < 1 && worst[1].roas > 1.5, 'one campaign is clearly the worst by ROAS');
    const foreign = await db('transactions').where({ business_id: store.id, currency: 'EUR' }).first();
    assert.ok(foreign, 'a foreign-currency supplier');
    const rate = await db('exchange_rates').where({ base: 'EUR', quote: 'USD', day: foreign.occurred_on }).first();
    assert.equal(foreign.amount_base, Math.round(foreign.amount * Number(rate.rate)));
    const rent = await db('transactions').where({ business_id: store.id, description: 'Warehouse and studio rent' });
    assert.ok(rent.length >= 3, 'monthly rent');
  });

  test('the same seed and date give the same ledger', async () => {
    const other = await createTestDb();
    try {
      await seedDemo(other.db, fixedClock('2026-11-25T08:00:00Z'), { days: 120 });
      const sum = (d: Db) =>
        d('transactions as t').join('businesses as b', 'b.id', 't.business_id').where('b.name', 'Northwind Goods').first(d.raw('count(*)::int as n'), d.raw('sum(amount_base)::bigint as total'));
      assert.deepEqual(await sum(other.db), await sum(db));
      assert.ok(seeded && seeded.rows > 0);
    } finally {
      await other.drop();
    }
  });
});

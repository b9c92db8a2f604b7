import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreReadiness, tierFor, type ReadinessInputs } from '../services/readiness/formula.ts';

const perfect: ReadinessInputs = {
  monthly_revenue: 150_000_00,
  currency: 'USD',
  revenue_growth: 0.4,
  revenue_volatility: 0.1,
  refund_rate: 0.01,
  chargeback_ratio: 0.002,
  payout_reliability: 1,
  gross_margin: 0.65,
  runway_months: null,
  months_of_history: 36,
  top_customer_share: 0.02,
};

const points = (inputs: Partial<ReadinessInputs>, key: string) => scoreReadiness({ ...perfect, ...inputs }).components.find((c) => c.key === key)!.points;

test('the component maxima sum to 100 and a flawless business scores 100, tier strong', () => {
  const r = scoreReadiness(perfect);
  assert.equal(
    r.components.reduce((s, c) => s + c.max, 0),
    100,
  );
  assert.equal(r.score, 100);
  assert.equal(r.tier, 'strong');
  assert.ok(r.components.every((c) => c.toRaise === null));
});

test('the score shown is the sum of the components shown', () => {
  const r = scoreReadiness({ ...perfect, chargeback_ratio: 0.0095, refund_rate: 0.06, runway_months: 4, revenue_growth: -0.05 });
  assert.equal(
    r.score,
    r.components.reduce((s, c) => s + c.points, 0),
  );
  assert.equal(r.score, 100 - 12 - 6 - 8 - 8);
});

test('chargeback ratio is scored at and around the card networks thresholds', () => {
  assert.equal(points({ chargeback_ratio: 0.0049 }, 'chargeback_ratio'), 15);
  assert.equal(points({ chargeback_ratio: 0.005 }, 'chargeback_ratio'), 12);
  assert.equal(points({ chargeback_ratio: 0.0089 }, 'chargeback_ratio'), 8);
  assert.equal(points({ chargeback_ratio: 0.009 }, 'chargeback_ratio'), 3);
  assert.equal(points({ chargeback_ratio: 0.0099 }, 'chargeback_ratio'), 3);
  assert.equal(points({ chargeback_ratio: 0.01 }, 'chargeback_ratio'), 0);
});

test('revenue scale, growth, margin, runway and history step up at their thresholds', () => {
  assert.equal(points({ monthly_revenue: 100_000_00 }, 'revenue_scale'), 15);
  assert.equal(points({ monthly_revenue: 99_999_99 }, 'revenue_scale'), 12);
  assert.equal(points({ monthly_revenue: 4_999_99 }, 'revenue_scale'), 0);
  assert.equal(points({ revenue_growth: 0 }, 'revenue_growth'), 4);
  assert.equal(points({ revenue_growth: -0.0001 }, 'revenue_growth'), 2);
  assert.equal(points({ revenue_growth: -0.1 }, 'revenue_growth'), 2);
  assert.equal(points({ revenue_growth: -0.11 }, 'revenue_growth'), 0);
  assert.equal(points({ gross_margin: 0.45 }, 'gross_margin'), 8);
  assert.equal(points({ gross_margin: 0.1499 }, 'gross_margin'), 0);
  assert.equal(points({ runway_months: 18 }, 'runway'), 10);
  assert.equal(points({ runway_months: 11.9 }, 'runway'), 5);
  assert.equal(points({ runway_months: 2.9 }, 'runway'), 0);
  assert.equal(points({ months_of_history: 12 }, 'history'), 4);
  assert.equal(points({ months_of_history: 5 }, 'history'), 0);
});

test('stability, refunds, payouts and concentration are scored at their thresholds', () => {
  assert.equal(points({ revenue_volatility: 0.15 }, 'revenue_stability'), 12);
  assert.equal(points({ revenue_volatility: 0.5 }, 'revenue_stability'), 0);
  assert.equal(points({ refund_rate: 0.0199 }, 'refund_rate'), 10);
  assert.equal(points({ refund_rate: 0.02 }, 'refund_rate'), 7);
  assert.equal(points({ refund_rate: 0.12 }, 'refund_rate'), 0);
  assert.equal(points({ payout_reliability: 0.9 }, 'payout_reliability'), 3);
  assert.equal(points({ payout_reliability: 0.74 }, 'payout_reliability'), 0);
  assert.equal(points({ top_customer_share: 0.25 }, 'concentration'), 1);
  assert.equal(points({ top_customer_share: 0.5 }, 'concentration'), 0);
});

test('a missing figure earns nothing and says so, and the advice names the next threshold', () => {
  const r = scoreReadiness({ ...perfect, refund_rate: null, chargeback_ratio: 0.0095 });
  const refund = r.components.find((c) => c.key === 'refund_rate')!;
  assert.equal(refund.points, 0);
  assert.equal(refund.figure, null);
  assert.match(refund.reason, /Not enough data/);
  const cb = r.components.find((c) => c.key === 'chargeback_ratio')!;
  assert.equal(cb.figure, '0.95%');
  assert.match(cb.toRaise!, /below 0\.90% for 8 points/);
});

test('tiers split the score at 40, 60 and 80', () => {
  assert.equal(tierFor(39), 'not_ready');
  assert.equal(tierFor(40), 'emerging');
  assert.equal(tierFor(59), 'emerging');
  assert.equal(tierFor(60), 'ready');
  assert.equal(tierFor(79), 'ready');
  assert.equal(tierFor(80), 'strong');
});

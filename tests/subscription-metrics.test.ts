import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { recordSubscription, recordSubscriptions, subscriptionFacts } from '../services/integrations/stripe/subscriptions.ts';
import { subscriptionMonths, type SubscriptionMonth } from '../services/reports/subscriptions.ts';
import { ledgerSignals } from '../services/readiness/signals.ts';
import { recommend } from '../services/readiness/recommendation-rules.ts';
import { calm } from './fixtures.ts';
import { runTool, toolContext } from '../services/agent/tools.ts';
import { answerOffline } from '../services/agent/offline.ts';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, signedInOwner, type TestContext } from './helpers.ts';

/**
 * Subscription metrics against a table worked out by hand. Subscriptions are Stripe's
 * objects in their real shape (API version 2026-10-28: the period on each item,
 * discounts under `discounts` with `source.coupon`), recorded as the sync and the
 * webhooks record them.
 */

const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);

type ItemSpec = { price: string; amount: number; interval?: 'day' | 'week' | 'month' | 'year'; count?: number; quantity?: number; usage?: 'licensed' | 'metered' };
type CouponSpec = { id: string; percent_off?: number; amount_off?: number; duration: 'forever' | 'once' | 'repeating'; months?: number; start: string; end?: string };
type SubSpec = {
  id: string;
  customer: string;
  items: ItemSpec[];
  status?: Stripe.Subscription.Status;
  start: string;
  coupons?: CouponSpec[];
  cancel_at_period_end?: boolean;
  cancel_at?: string;
  canceled_at?: string;
  ended_at?: string;
  trial_start?: string;
  trial_end?: string;
};

/** A subscription as Stripe sends it, with the fields a sync or webhook carries. */
function subscription(s: SubSpec): Stripe.Subscription {
  const created = ts(s.start);
  const periodEnd = s.cancel_at ? ts(s.cancel_at) : created + 30 * 86_400;
  const discount = (c: CouponSpec): Stripe.Discount =>
    ({
      id: `di_${c.id}_${s.id}`,
      object: 'discount',
      checkout_session: null,
      customer: s.customer,
      customer_account: null,
      end: c.end ? ts(c.end) : null,
      invoice: null,
      invoice_item: null,
      promotion_code: null,
      source: {
        type: 'coupon',
        coupon: {
          id: c.id,
          object: 'coupon',
          amount_off: c.amount_off ?? null,
          created: ts(c.start),
          currency: c.amount_off ? 'usd' : null,
          duration: c.duration,
          duration_in_months: c.months ?? null,
          livemode: false,
          max_redemptions: null,
          metadata: {},
          name: c.id,
          percent_off: c.percent_off ?? null,
          redeem_by: null,
          times_redeemed: 1,
          valid: true,
        },
      },
      start: ts(c.start),
      subscription: s.id,
      subscription_item: null,
    }) as unknown as Stripe.Discount;
  return {
    id: s.id,
    object: 'subscription',
    application: null,
    billing_cycle_anchor: created,
    cancel_at: s.cancel_at ? ts(s.cancel_at) : null,
    cancel_at_period_end: s.cancel_at_period_end ?? false,
    canceled_at: s.canceled_at ? ts(s.canceled_at) : null,
    collection_method: 'charge_automatically',
    created,
    currency: 'usd',
    customer: s.customer,
    default_tax_rates: [],
    description: null,
    discounts: (s.coupons ?? []).map(discount),
    ended_at: s.ended_at ? ts(s.ended_at) : null,
    items: {
      object: 'list',
      has_more: false,
      url: `/v1/subscription_items?subscription=${s.id}`,
      data: s.items.map((i, n) => ({
        id: `si_${s.id.slice(4)}_${n}`,
        object: 'subscription_item',
        created,
        current_period_start: created,
        current_period_end: periodEnd,
        discounts: [],
        metadata: {},
        price: {
          id: i.price,
          object: 'price',
          active: true,
          billing_scheme: 'per_unit',
          created,
          currency: 'usd',
          livemode: false,
          lookup_key: null,
          metadata: {},
          nickname: null,
          product: `prod_${i.price.slice(6)}`,
          recurring: { interval: i.interval ?? 'month', interval_count: i.count ?? 1, meter: null, trial_period_days: null, usage_type: i.usage ?? 'licensed' },
          tax_behavior: 'exclusive',
          tiers_mode: null,
          transform_quantity: null,
          type: 'recurring',
          unit_amount: i.amount,
          unit_amount_decimal: String(i.amount),
        },
        quantity: i.quantity ?? 1,
        subscription: s.id,
        tax_rates: [],
      })),
    },
    livemode: false,
    metadata: {},
    start_date: created,
    status: s.status ?? 'active',
    trial_end: s.trial_end ? ts(s.trial_end) : null,
    trial_start: s.trial_start ? ts(s.trial_start) : null,
  } as unknown as Stripe.Subscription;
}

const STARTER = { price: 'price_starter', amount: 4900 };
const PRO = { price: 'price_pro', amount: 9900 };
const ANNUAL = { price: 'price_annual', amount: 118_800, interval: 'year' as const };
const TWENTY_OFF: CouponSpec = { id: 'LAUNCH20', percent_off: 20, duration: 'forever', start: '2026-06-01T09:00:00Z' };

/**
 * The story, as webhooks deliver it: [state, moment observed].
 * - cus_A: Starter $49/month from May 3; upgrades to Pro $99 on Jul 10; cancels at once on Oct 20.
 * - cus_B: Pro × 3 seats from May 15; down to 2 seats on Aug 5.
 * - cus_C: Pro $79 at 20 % off, forever, from Jun 1; on Aug 20 sets it to cancel at the end
 *   of the period (Sep 1), and it ends then; comes back with a new subscription ($79, no
 *   discount) on Oct 10.
 * - cus_D: the annual plan, $1,188 a year, from Jun 15.
 * - cus_E: a trial from Jul 1 to Jul 15, then Starter $49/month.
 */
const C_PLAN = { price: 'price_team', amount: 7900 };
const STORY: [Stripe.Subscription, string][] = [
  [subscription({ id: 'sub_A', customer: 'cus_A', items: [STARTER], start: '2026-05-03T10:00:00Z' }), '2026-05-03T10:00:05Z'],
  [subscription({ id: 'sub_B', customer: 'cus_B', items: [{ ...PRO, quantity: 3 }], start: '2026-05-15T08:00:00Z' }), '2026-05-15T08:00:02Z'],
  [subscription({ id: 'sub_C', customer: 'cus_C', items: [C_PLAN], coupons: [TWENTY_OFF], start: '2026-06-01T09:00:00Z' }), '2026-06-01T09:00:01Z'],
  [subscription({ id: 'sub_D', customer: 'cus_D', items: [ANNUAL], start: '2026-06-15T12:00:00Z' }), '2026-06-15T12:00:03Z'],
  [
    subscription({ id: 'sub_E', customer: 'cus_E', items: [STARTER], status: 'trialing', start: '2026-07-01T07:00:00Z', trial_start: '2026-07-01T07:00:00Z', trial_end: '2026-07-15T07:00:00Z' }),
    '2026-07-01T07:00:01Z',
  ],
  [subscription({ id: 'sub_A', customer: 'cus_A', items: [PRO], start: '2026-05-03T10:00:00Z' }), '2026-07-10T16:30:00Z'],
  [subscription({ id: 'sub_E', customer: 'cus_E', items: [STARTER], start: '2026-07-01T07:00:00Z', trial_start: '2026-07-01T07:00:00Z', trial_end: '2026-07-15T07:00:00Z' }), '2026-07-15T07:00:04Z'],
  [subscription({ id: 'sub_B', customer: 'cus_B', items: [{ ...PRO, quantity: 2 }], start: '2026-05-15T08:00:00Z' }), '2026-08-05T11:00:00Z'],
  [
    subscription({
      id: 'sub_C',
      customer: 'cus_C',
      items: [C_PLAN],
      coupons: [TWENTY_OFF],
      start: '2026-06-01T09:00:00Z',
      cancel_at_period_end: true,
      cancel_at: '2026-09-01T09:00:00Z',
      canceled_at: '2026-08-20T14:00:00Z',
    }),
    '2026-08-20T14:00:01Z',
  ],
  [
    subscription({
      id: 'sub_C',
      customer: 'cus_C',
      items: [C_PLAN],
      coupons: [TWENTY_OFF],
      status: 'canceled',
      start: '2026-06-01T09:00:00Z',
      cancel_at_period_end: true,
      cancel_at: '2026-09-01T09:00:00Z',
      canceled_at: '2026-08-20T14:00:00Z',
      ended_at: '2026-09-01T09:00:00Z',
    }),
    '2026-09-01T09:00:02Z',
  ],
  [subscription({ id: 'sub_C2', customer: 'cus_C', items: [C_PLAN], start: '2026-10-10T10:00:00Z' }), '2026-10-10T10:00:01Z'],
  [
    subscription({ id: 'sub_A', customer: 'cus_A', items: [PRO], status: 'canceled', start: '2026-05-03T10:00:00Z', canceled_at: '2026-10-20T10:00:00Z', ended_at: '2026-10-20T10:00:00Z' }),
    '2026-10-20T10:00:01Z',
  ],
];

/**
 * Worked out by hand (cents):
 * May: A new 4,900 (May 3); B new 99 × 3 = 29,700 (May 15). MRR 34,600, 2 customers,
 *      none at the start (no churn figure); ARPU 34,600 / 2 = 17,300.
 * Jun: C new 7,900 × 0.8 = 6,320; D new 118,800 / 12 = 9,900. MRR 34,600 + 16,220 = 50,820;
 *      4 customers, 2 at the start, none lost (0 %); ARPU 50,820 / 4 = 12,705.
 * Jul: E trials from Jul 1 at 0, pays 4,900 from Jul 15: new 4,900; A upgrades 4,900 → 9,900:
 *      expansion 5,000. MRR 50,820 + 9,900 = 60,720; 5 customers, 4 at the start, none lost;
 *      ARPU 60,720 / 5 = 12,144.
 * Aug: B down to 2 seats, 29,700 → 19,800: contraction 9,900. C is set to cancel at the end
 *      of its period and still counts. MRR 50,820; 5 customers, 5 at the start; ARPU 10,164.
 * Sep: C ends on Sep 1: churned 6,320. MRR 44,500; 4 customers, 5 at the start, 1 lost:
 *      churn 1 / 5 = 20 %; ARPU 44,500 / 4 = 11,125.
 * Oct: C comes back on Oct 10 with 7,900 (no discount): reactivation 7,900; A cancels on
 *      Oct 20: churned 9,900. MRR 44,500 + 7,900 − 9,900 = 42,500; customers B, C, D, E = 4;
 *      4 at the start (A, B, D, E), 1 lost (A): 25 %; ARPU 42,500 / 4 = 10,625.
 * Net new MRR over the six months: 34,600 + 16,220 + 9,900 − 9,900 − 6,320 − 2,000 = 42,500.
 */
const EXPECTED = [
  {
    month: '2026-05',
    mrr: 34_600,
    newMrr: 34_600,
    reactivation: 0,
    expansion: 0,
    contraction: 0,
    churned: 0,
    netNew: 34_600,
    customers: 2,
    customersAtStart: 0,
    customersLost: 0,
    customerChurn: null,
    arpu: 17_300,
  },
  {
    month: '2026-06',
    mrr: 50_820,
    newMrr: 16_220,
    reactivation: 0,
    expansion: 0,
    contraction: 0,
    churned: 0,
    netNew: 16_220,
    customers: 4,
    customersAtStart: 2,
    customersLost: 0,
    customerChurn: 0,
    arpu: 12_705,
  },
  {
    month: '2026-07',
    mrr: 60_720,
    newMrr: 4_900,
    reactivation: 0,
    expansion: 5_000,
    contraction: 0,
    churned: 0,
    netNew: 9_900,
    customers: 5,
    customersAtStart: 4,
    customersLost: 0,
    customerChurn: 0,
    arpu: 12_144,
  },
  {
    month: '2026-08',
    mrr: 50_820,
    newMrr: 0,
    reactivation: 0,
    expansion: 0,
    contraction: 9_900,
    churned: 0,
    netNew: -9_900,
    customers: 5,
    customersAtStart: 5,
    customersLost: 0,
    customerChurn: 0,
    arpu: 10_164,
  },
  {
    month: '2026-09',
    mrr: 44_500,
    newMrr: 0,
    reactivation: 0,
    expansion: 0,
    contraction: 0,
    churned: 6_320,
    netNew: -6_320,
    customers: 4,
    customersAtStart: 5,
    customersLost: 1,
    customerChurn: 0.2,
    arpu: 11_125,
  },
  {
    month: '2026-10',
    mrr: 42_500,
    newMrr: 0,
    reactivation: 7_900,
    expansion: 0,
    contraction: 0,
    churned: 9_900,
    netNew: -2_000,
    customers: 4,
    customersAtStart: 4,
    customersLost: 1,
    customerChurn: 0.25,
    arpu: 10_625,
  },
];

const RANGE = { from: '2026-05-01', to: '2026-10-31' };
const figures = (months: SubscriptionMonth[]) => months.map(({ from: _f, to: _t, startMrr: _s, ...m }) => m);

async function recordAll(db: TestContext['db'], businessId: string, story: [Stripe.Subscription, string][]) {
  for (const [sub, at] of story) await recordSubscription(db, businessId, sub, new Date(at));
}

describe('subscription metrics', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  async function freshBusiness(name = 'Subscription Co') {
    const user = await insertUser(ctx.db);
    return (await insertBusiness(ctx.db, user.id, { name })).id;
  }

  test('MRR and its movements match the table worked out by hand (upgrade, downgrade, cancel at period end, 20 % discount, annual plan, trial, comeback)', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, STORY);
    assert.deepEqual(figures(await subscriptionMonths(ctx.db, biz, RANGE)), EXPECTED);
  });

  test('recording every state twice changes nothing', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, STORY);
    const rows = async () => ctx.db('subscription_mrr_history').where({ business_id: biz }).orderBy(['subscription_id', 'effective_on']).select('subscription_id', 'effective_on', 'mrr');
    const observations = async () => Number((await ctx.db('subscription_observations').where({ business_id: biz }).count({ n: '*' }).first())!.n);
    const [historyOnce, observedOnce] = [await rows(), await observations()];
    await recordAll(ctx.db, biz, STORY);
    assert.deepEqual(await rows(), historyOnce);
    assert.equal(await observations(), observedOnce);
    assert.deepEqual(figures(await subscriptionMonths(ctx.db, biz, RANGE)), EXPECTED);
  });

  test('states delivered in reverse order give the same months', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, [...STORY].reverse());
    assert.deepEqual(figures(await subscriptionMonths(ctx.db, biz, RANGE)), EXPECTED);
  });

  test('the whole story recorded as one batch (a backfill page), shuffled and with every state twice, gives the same months', async () => {
    const biz = await freshBusiness();
    const shuffled = [...STORY, ...STORY].map(([subscription, at], i) => ({ subscription, observedAt: new Date(at), key: (i * 7919) % 24 })).sort((a, b) => a.key - b.key);
    await recordSubscriptions(ctx.db, biz, shuffled);
    assert.deepEqual(figures(await subscriptionMonths(ctx.db, biz, RANGE)), EXPECTED);
  });

  test('an older state recorded after a newer one does not overwrite it', async () => {
    const biz = await freshBusiness();
    const twoSeats = subscription({ id: 'sub_B', customer: 'cus_B', items: [{ ...PRO, quantity: 2 }], start: '2026-05-15T08:00:00Z' });
    const threeSeats = subscription({ id: 'sub_B', customer: 'cus_B', items: [{ ...PRO, quantity: 3 }], start: '2026-05-15T08:00:00Z' });
    await recordSubscription(ctx.db, biz, twoSeats, new Date('2026-08-05T11:00:00Z'));
    // A retried delivery of the state from before the downgrade, on the same day and a week later.
    await recordSubscription(ctx.db, biz, threeSeats, new Date('2026-08-05T10:59:00Z'));
    await recordSubscription(ctx.db, biz, threeSeats, new Date('2026-07-29T00:00:00Z'));
    const [aug] = await subscriptionMonths(ctx.db, biz, { from: '2026-08-01', to: '2026-08-31' });
    assert.equal(aug.mrr, 19_800, 'the newest state (2 seats) stands');
    assert.equal(aug.contraction, 9_900, 'the older state only tells what came before the downgrade');
  });

  test('a backfill records the current state from the start; a canceled subscription until it ended, a finished trial at 0 until it ended', async () => {
    const biz = await freshBusiness();
    const syncedAt = new Date('2026-11-25T12:00:00Z');
    // What a sync on Nov 25 lists: C as it ended, E after its trial.
    await recordSubscription(ctx.db, biz, STORY[9][0], syncedAt);
    await recordSubscription(ctx.db, biz, STORY[6][0], syncedAt);
    const months = await subscriptionMonths(ctx.db, biz, { from: '2026-06-01', to: '2026-09-30' });
    assert.deepEqual(
      months.map((m) => [m.month, m.mrr, m.newMrr, m.churned]),
      [
        ['2026-06', 6_320, 6_320, 0],
        ['2026-07', 6_320 + 4_900, 4_900, 0],
        ['2026-08', 11_220, 0, 0],
        ['2026-09', 4_900, 0, 6_320],
      ],
    );
  });

  test('a subscription set to cancel at period end ends on that day even when the deletion is never delivered', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, STORY.slice(0, 9));
    const [sep] = await subscriptionMonths(ctx.db, biz, { from: '2026-09-01', to: '2026-09-30' });
    assert.equal(sep.churned, 6_320);
  });

  test('prices are brought to a month: weekly × 52 / 12, daily × 365 / 12, every 3 months ÷ 3, quantity, an amount off per invoice; once-only discounts and metered prices count 0', () => {
    const at = new Date('2026-07-01T00:00:00Z');
    const mrr = (items: ItemSpec[], coupons: CouponSpec[] = [], status?: Stripe.Subscription.Status) =>
      subscriptionFacts(subscription({ id: 'sub_X', customer: 'cus_X', items, coupons, status, start: '2026-06-01T00:00:00Z' }), at).mrr;
    assert.equal(mrr([{ price: 'price_w', amount: 1000, interval: 'week' }]), 4333); // 1,000 × 52 / 12 = 4,333.3
    assert.equal(mrr([{ price: 'price_d', amount: 100, interval: 'day' }]), 3042); // 100 × 365 / 12 = 3,041.7
    assert.equal(mrr([{ price: 'price_q', amount: 30_000, interval: 'month', count: 3 }]), 10_000);
    assert.equal(mrr([{ price: 'price_2y', amount: 240_000, interval: 'year', count: 2 }]), 10_000);
    assert.equal(mrr([{ ...PRO, quantity: 4 }, STARTER]), 4 * 9900 + 4900);
    assert.equal(mrr([ANNUAL], [{ id: 'YEAR120', amount_off: 12_000, duration: 'forever', start: '2026-06-01T00:00:00Z' }]), 9900 - 1000); // $120 off a yearly invoice is $10 a month
    assert.equal(mrr([PRO], [{ id: 'FIRST', percent_off: 50, duration: 'once', start: '2026-06-01T00:00:00Z' }]), 9900);
    assert.equal(mrr([PRO], [{ id: 'Q3', amount_off: 1000, duration: 'repeating', months: 3, start: '2026-06-01T00:00:00Z', end: '2026-09-01T00:00:00Z' }]), 8900);
    assert.equal(mrr([{ price: 'price_api', amount: 2, usage: 'metered' }, STARTER]), 4900);
    assert.equal(mrr([PRO], [], 'trialing'), 0);
    assert.equal(mrr([PRO], [], 'incomplete'), 0);
    assert.equal(mrr([PRO], [], 'past_due'), 9900);
  });

  test('a repeating discount raises MRR on the day it ends, as expansion', async () => {
    const biz = await freshBusiness();
    const sub = subscription({
      id: 'sub_R',
      customer: 'cus_R',
      items: [PRO],
      coupons: [{ id: 'HALF3', percent_off: 50, duration: 'repeating', months: 3, start: '2026-06-01T00:00:00Z', end: '2026-09-01T00:00:00Z' }],
      start: '2026-06-01T00:00:00Z',
    });
    await recordSubscription(ctx.db, biz, sub, new Date('2026-06-01T00:00:01Z'));
    const months = await subscriptionMonths(ctx.db, biz, { from: '2026-06-01', to: '2026-09-30' });
    assert.deepEqual(
      months.map((m) => [m.month, m.mrr, m.expansion]),
      [
        ['2026-06', 4950, 0],
        ['2026-07', 4950, 0],
        ['2026-08', 4950, 0],
        ['2026-09', 9900, 4950],
      ],
    );
  });

  test('readiness reads the last three complete months: churn averaging 15 % a month and shrinking MRR become recommendations', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, STORY);
    const signals = await ledgerSignals(ctx.db, biz, '2026-11-25');
    // Aug, Sep, Oct: customer churn 0, 20 % and 25 %, a mean of 15 %; MRR 42,500 at the end of October against 60,720 at the end of July.
    assert.deepEqual(signals.subscriptions, { mrr: 42_500, mrr_three_months_before: 60_720, customers: 4, monthly_customer_churn: 0.15 });
    const rules = recommend({ ...calm, ...signals })
      .filter((r) => ['customer_churn', 'mrr_shrinking'].includes(r.rule))
      .map((r) => `${r.rule}:${r.priority}`);
    assert.deepEqual(rules, ['customer_churn:high', 'mrr_shrinking:high']);
    const plain = await ledgerSignals(ctx.db, await freshBusiness('No subscriptions'), '2026-11-25');
    assert.equal(plain.subscriptions, null);
  });

  test('the agent’s tool and the offline analyst answer MRR and churn from the same months', async () => {
    const biz = await freshBusiness();
    await recordAll(ctx.db, biz, STORY);
    const context = toolContext(ctx.clock);
    const { data } = await runTool(ctx.db, biz, 'subscription_metrics', { months: 2 }, context);
    const months = data.months as { month: string; mrr: { minor: number }; churned_mrr: { minor: number }; customer_churn: { value: number } | null }[];
    assert.deepEqual(
      months.map((m) => [m.month, m.mrr.minor, m.churned_mrr.minor, m.customer_churn?.value ?? null]),
      [
        ['2026-10', 42_500, 9_900, 0.25],
        ['2026-11', 42_500, 0, 0],
      ],
    );
    const reply = await answerOffline(ctx.db, biz, 'What is our MRR and churn?', context);
    assert.equal(reply.intent, 'subscriptions');
    assert.match(reply.text, /MRR is \[\*\*\$425\.00\*\*\]\(\/b\/[\w-]+\/metrics#subscription-metrics\) as of 2026-11-25, from \*\*4\*\* paying customers \(ARPU \*\*\$106\.25\*\*\)/);
    assert.match(reply.text, /2026-10: MRR \$425\.00; new \$0\.00, reactivation \$79\.00, expansion \$0\.00, contraction \$0\.00, churned \$99\.00: net new -\$20\.00; customer churn 25\.0 %/);
    const none = await answerOffline(ctx.db, await freshBusiness('Plain'), 'what is my churn rate?', context);
    assert.match(none.text, /no subscriptions synced from Stripe/);
  });

  test('the business without subscriptions has no months, and one business never sees another’s', async () => {
    const biz = await freshBusiness();
    const other = await freshBusiness('Other Co');
    await recordAll(ctx.db, biz, STORY);
    assert.deepEqual(await subscriptionMonths(ctx.db, other, RANGE), []);
  });
});

describe('subscription metrics on the pages and the API', () => {
  let ctx: TestContext;
  let biz: string;
  let plain: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let stranger: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    ctx = await createTestApp();
    const o = await signedInOwner(ctx, { name: 'Recurring Ltd' });
    biz = o.businessId;
    owner = o.owner;
    plain = (await insertBusiness(ctx.db, o.user.id, { name: 'Plain Shop' })).id;
    await recordAll(ctx.db, biz, STORY);
    // Both have sales in the ledger; only one sells subscriptions.
    for (const id of [biz, plain]) await insertLedgerRows(ctx.db, id, [{ kind: 'sale', amount: 12_345, amount_base: 12_345, occurred_on: '2026-09-15' }]);
    const s = await insertUser(ctx.db);
    await insertBusiness(ctx.db, s.id, { name: 'Stranger Co' });
    stranger = await signIn(ctx.app, s.email, s.password);
  });
  after(() => ctx.close());

  test('GET /api/v1/metrics/subscriptions gives each month’s MRR, movements, customers, churn and ARPU', async () => {
    const res = await owner.agent.get(`/api/v1/metrics/subscriptions?business_id=${biz}&start_date=2026-09-01&end_date=2026-10-31`);
    assert.equal(res.status, 200);
    assert.equal(res.body.currency, 'USD');
    assert.deepEqual(res.body.months[1], {
      month: '2026-10',
      start_date: '2026-10-01',
      end_date: '2026-10-31',
      mrr: 42_500,
      new: 0,
      reactivation: 7_900,
      expansion: 0,
      contraction: 0,
      churned: 9_900,
      net_new: -2_000,
      customers: 4,
      customers_at_start: 4,
      customers_lost: 1,
      churn_rate: 0.25,
      arpu: 10_625,
    });
    assert.equal(res.body.months[0].churn_rate, 0.2);
    const bad = await owner.agent.get(`/api/v1/metrics/subscriptions?business_id=${biz}&start_date=2026-11-01&end_date=2026-10-01`);
    assert.equal(bad.status, 422);
    const none = await owner.agent.get(`/api/v1/metrics/subscriptions?business_id=${plain}`);
    assert.deepEqual([none.status, none.body.has_subscriptions, none.body.months], [200, false, []]);
  });

  test('a stranger is refused the API and the metrics page, and learns nothing', async () => {
    const api = await stranger.agent.get(`/api/v1/metrics/subscriptions?business_id=${biz}`);
    assert.equal(api.status, 403);
    const page = await stranger.agent.get(`/b/${biz}/metrics`);
    assert.equal(page.status, 403);
    for (const res of [api, page]) assert.ok(!res.text.includes('Recurring Ltd') && !res.text.includes('42,500') && !res.text.includes('425.00'));
  });

  test('the metrics page shows MRR and its movements by month; a business without subscriptions shows none', async () => {
    const page = await owner.agent.get(`/b/${biz}/metrics`);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="subscription-metrics"/);
    assert.match(page.text, /\$425\.00/, 'November’s MRR so far: October’s, nothing changed since');
    assert.match(page.text, /Reactivation MRR/);
    const plainPage = await owner.agent.get(`/b/${plain}/metrics`);
    assert.equal(plainPage.status, 200);
    assert.doesNotMatch(plainPage.text, /subscription-metrics|MRR/);
  });

  test('the dashboard shows an MRR card with its change and the movements when the business has subscriptions, and none otherwise', async () => {
    const dash = await owner.agent.get(`/b/${biz}?preset=custom&from=2026-10-01&to=2026-10-31`);
    assert.equal(dash.status, 200);
    const card = /data-figure="mrr"[\s\S]*?<\/ul>/.exec(dash.text)?.[0] ?? '';
    // October: 44,500 at the end of September, 42,500 at the end of October (−4.5 %); reactivation 7,900, churned 9,900.
    assert.match(card, /\$425\.00/);
    assert.match(card, /−4\.5 %/);
    assert.match(card, /Reactivation MRR<\/a> <span class="num">\$79\.00/);
    assert.match(card, /Churned MRR<\/a> <span class="num neg">-\$99\.00/);
    assert.match(card, /Net new MRR<\/a><\/strong> <span class="num neg">-\$20\.00/);
    const plainDash = await owner.agent.get(`/b/${plain}`);
    assert.doesNotMatch(plainDash.text, /data-figure="mrr"/);
  });

  test('the glossary defines MRR and each movement', async () => {
    const page = await owner.agent.get(`/b/${biz}/definitions`);
    for (const id of ['mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr', 'net_new_mrr', 'customer_churn', 'arpu']) assert.match(page.text, new RegExp(`id="${id}"`), id);
  });
});

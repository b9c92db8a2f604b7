import type { Db } from './core/db.ts';
import type { Clock } from './core/clock.ts';
import { addDays, isoDate } from './core/clock.ts';
import { convert } from './core/money.ts';
import { mulberry32 } from './core/random.ts';
import * as businesses from './access/businesses.ts';
import * as categories from './ledger/categories.ts';
import * as ledger from './ledger/transactions.ts';
import type { NewTransaction } from './ledger/transactions.ts';
import { systemActor, type Actor } from './ledger/audit.ts';
import { hashPassword } from './access/users.ts';
import * as metrics from './reports/metrics.ts';
import * as readiness from './readiness/scores.ts';
import type Stripe from 'stripe';
import { recordSubscriptions } from './integrations/stripe/subscriptions.ts';

export const DEMO_EMAIL = 'demo@bursar.local';
export const DEMO_PASSWORD = 'bursar-demo';
const SOURCE = 'demo';

/** The demo's dice: a seeded generator, so the demo is the same on every machine. */
function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => Math.floor(lo + (hi - lo + 1) * next()),
    chance: (p: number) => next() < p,
    /** Poisson-like count around a mean (normal approximation, never negative). */
    count: (mean: number) => {
      const u = Math.max(next(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    },
    pickWeighted<T>(items: T[], weights: number[]): T {
      const total = weights.reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (let i = 0; i < items.length; i++) {
        r -= weights[i];
        if (r <= 0) return items[i];
      }
      return items[items.length - 1];
    },
  };
}

const PRODUCTS: [string, string, number][] = [
  ['LIN-PIL-01', 'Linen throw pillow', 3400],
  ['LIN-PIL-02', 'Linen lumbar pillow', 3900],
  ['WOOL-THR-01', 'Merino wool throw', 12900],
  ['CER-MUG-01', 'Stoneware mug', 2400],
  ['CER-MUG-02', 'Stoneware mug, set of 4', 8400],
  ['CER-BWL-01', 'Serving bowl', 4600],
  ['CER-PLT-01', 'Dinner plate, set of 4', 9200],
  ['CDL-SOY-01', 'Soy candle, cedar', 2800],
  ['CDL-SOY-02', 'Soy candle, fig', 2800],
  ['CDL-SOY-03', 'Soy candle trio', 7200],
  ['TEA-TWL-01', 'Cotton tea towels, pair', 1900],
  ['BAS-SEA-01', 'Seagrass basket, small', 3200],
  ['BAS-SEA-02', 'Seagrass basket, large', 5400],
  ['VAS-GLS-01', 'Recycled glass vase', 4400],
  ['VAS-CER-01', 'Ceramic bud vase', 2600],
  ['NAP-LIN-01', 'Linen napkins, set of 4', 3600],
  ['TBL-RUN-01', 'Linen table runner', 4800],
  ['SOAP-OLV-01', 'Olive oil soap bar', 900],
  ['SOAP-GFT-01', 'Soap gift box', 3400],
  ['CUT-BRD-01', 'Walnut cutting board', 7800],
  ['CUT-BRD-02', 'Oak serving board', 6200],
  ['RUG-JUT-01', 'Jute rug, 2x3 ft', 8900],
  ['PLT-POT-01', 'Terracotta planter', 2900],
  ['GFT-CRD-01', 'Gift card', 5000],
];

const CAMPAIGNS: { platform: 'meta' | 'google'; id: string; name: string; daily: number; roas: number; startFrac: number }[] = [
  { platform: 'google', id: 'g-1001', name: 'Search: brand terms', daily: 3500, roas: 6.5, startFrac: 0 },
  { platform: 'google', id: 'g-1002', name: 'Shopping: all products', daily: 9000, roas: 3.2, startFrac: 0.04 },
  { platform: 'meta', id: 'm-2001', name: 'Prospecting: home lovers', daily: 8000, roas: 2.1, startFrac: 0.08 },
  { platform: 'meta', id: 'm-2002', name: 'Retargeting: cart abandoners', daily: 3000, roas: 4.4, startFrac: 0.12 },
  { platform: 'meta', id: 'm-2003', name: 'Video: candle launch', daily: 6000, roas: 0.6, startFrac: 0.55 },
];

/** Monthly software subscriptions: name, cost in cents. */
const SUBSCRIPTIONS: [string, number][] = [
  ['Shopify', 7900],
  ['Google Workspace', 3600],
  ['Slack', 4500],
  ['Klaviyo', 15000],
  ['QuickBooks', 9000],
];

export type DemoResult = { userId: string; businessIds: string[]; rows: number } | null;

/**
 * Seeds the demo user and businesses unless the demo user exists already.
 * The data is a deterministic function of the seed and today's date; it is
 * written in one transaction, so a crash halfway leaves nothing to clean up.
 */
export async function seedDemo(db: Db, clock: Clock, opts: { days?: number } = {}): Promise<DemoResult> {
  const existing = await db('users').whereRaw('lower(email) = ?', [DEMO_EMAIL]).first('id');
  if (existing) return null;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  // The demo's ledger is written by Bursar itself, not by the demo user it creates.
  const actor = systemActor('demo-seed', clock.now());
  const seeded = await db.transaction(async (trx) => {
    const [user] = await trx('users').insert({ email: DEMO_EMAIL, name: 'Dana Demo', password_hash: passwordHash, email_verified_at: clock.now() }).returning('id');
    const end = isoDate(clock.now());
    const days = opts.days ?? 730;
    const store = await businesses.create(
      trx,
      user.id,
      {
        name: 'Northwind Goods',
        legal_entity: 'Northwind Goods LLC',
        industry: 'E-commerce',
        currency: 'USD',
        revenue_estimate: 60_000_000,
        founded_on: '2021-04-12',
      },
      { isDemo: true },
    );
    const storeRows = await seedStore(trx, actor, store.id, addDays(end, -(days - 1)), end);
    await seedCandleClub(trx, store.id, addDays(end, -Math.min(days - 1, 425)), clock.now());
    const studio = await businesses.create(
      trx,
      user.id,
      {
        name: 'Harbor Design Studio',
        legal_entity: 'Harbor Design Studio Ltd',
        industry: 'Professional services',
        currency: 'EUR',
        revenue_estimate: 18_000_000,
        founded_on: '2019-09-01',
        // A British studio billing in euros writes 1,234.56.
        decimal_mark: '.',
      },
      { isDemo: true },
    );
    const studioRows = await seedStudio(trx, actor, studio.id, addDays(end, -(days - 1)), end);
    return { userId: user.id, businessIds: [store.id, studio.id], rows: storeRows + studioRows };
  });
  // A metric snapshot per month of the demo's history, so the metrics page has a history at once.
  for (const id of seeded.businessIds) {
    await metrics.backfillMonthly(db, id, isoDate(clock.now()), clock.now());
    await readiness.backfill(db, clock, id);
  }
  return seeded;
}

function monthOf(date: string): number {
  return Number(date.slice(5, 7));
}

function dayOfWeek(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Seasonality of an online homeware store: a strong Q4, a slow start of the year, busier weekends. */
function demandFactor(date: string): number {
  const yearly = [0, 0.8, 0.82, 0.92, 0.97, 1.0, 0.95, 0.9, 0.95, 1.02, 1.12, 1.45, 1.6][monthOf(date)];
  const weekly = [1.2, 0.9, 0.95, 0.97, 1.0, 1.05, 1.22][dayOfWeek(date)];
  return yearly * weekly;
}

async function seedStore(db: Db, actor: Actor, businessId: string, start: string, end: string): Promise<number> {
  const rnd = prng(20261125);
  const cats = await categories.idsByName(db, businessId);
  const products = await db('products')
    .insert(
      PRODUCTS.map(([sku, name, price]) => ({
        business_id: businessId,
        sku,
        name,
        price,
        unit_cost: Math.round(price * rnd.between(0.32, 0.5)),
        currency: 'USD',
      })),
    )
    .returning(['id', 'sku', 'price', 'unit_cost']);
  const popularity = products.map((_: unknown, i: number) => 1 / (i % 7 === 0 ? 1 : 1 + (i % 11)));
  const campaigns = await db('ad_campaigns')
    .insert(CAMPAIGNS.map((c) => ({ business_id: businessId, platform: c.platform, external_id: c.id, name: c.name })))
    .returning(['id', 'external_id']);
  const campaignId = new Map(campaigns.map((c: { id: string; external_id: string }) => [c.external_id, c.id]));

  const rows: NewTransaction[] = [];
  const stats: Record<string, unknown>[] = [];
  const rates: Record<string, unknown>[] = [];
  const base = { business_id: businessId, currency: 'USD', source: SOURCE };
  const push = (r: Omit<NewTransaction, 'business_id' | 'currency' | 'source' | 'amount_base'> & { amount_base?: number; currency?: string }) => rows.push({ ...base, amount_base: r.amount, ...r });

  push({ kind: 'transfer', amount: 9_500_000, occurred_on: start, description: 'Opening balance', external_id: 'opening', counterparty: 'Owner' });

  let order = 10_000;
  let eurUsd = 1.08;
  let weekNet = 0;
  const totalDays = Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000) + 1;
  for (let d = 0; d < totalDays; d++) {
    const day = addDays(start, d);
    const growth = 1 + 0.5 * (d / 730);
    const orders = rnd.count(34 * growth * demandFactor(day));
    const unitsBySku = new Map<number, number>();
    for (let o = 0; o < orders; o++) {
      order++;
      const p = rnd.pickWeighted(
        products.map((_: unknown, i: number) => i),
        popularity,
      );
      const qty = rnd.pickWeighted([1, 2, 3], [0.78, 0.17, 0.05]);
      const product = products[p];
      const amount = product.price * qty;
      const fee = -Math.round(amount * 0.029 + 30);
      push({
        kind: 'sale',
        amount,
        occurred_on: day,
        description: `Order #${order}`,
        counterparty: `Customer ${1000 + ((order * 7919) % 9000)}`,
        category_id: cats.get('Sales'),
        product_id: product.id,
        quantity: qty,
        external_id: `order_${order}`,
      });
      push({
        kind: 'fee',
        amount: fee,
        occurred_on: day,
        description: `Card processing fee, order #${order}`,
        counterparty: 'Stripe',
        category_id: cats.get('Payment fees'),
        product_id: product.id,
        external_id: `fee_${order}`,
      });
      weekNet += amount + fee;
      unitsBySku.set(p, (unitsBySku.get(p) ?? 0) + qty);
      if (rnd.chance(0.03)) {
        const refundDay = addDays(day, rnd.int(2, 14));
        if (refundDay <= end) {
          push({
            kind: 'refund',
            amount: -amount,
            occurred_on: refundDay,
            description: `Refund, order #${order}`,
            counterparty: 'Customer',
            category_id: cats.get('Sales'),
            product_id: product.id,
            quantity: -qty,
            external_id: `refund_${order}`,
          });
          weekNet -= amount;
        }
      } else if (rnd.chance(0.003)) {
        const disputeDay = addDays(day, rnd.int(20, 60));
        if (disputeDay <= end) {
          push({
            kind: 'chargeback',
            amount: -amount,
            occurred_on: disputeDay,
            description: `Dispute lost, order #${order}`,
            counterparty: 'Card network',
            category_id: cats.get('Sales'),
            product_id: product.id,
            external_id: `dispute_${order}`,
          });
          push({
            kind: 'fee',
            amount: -1500,
            occurred_on: disputeDay,
            description: `Dispute fee, order #${order}`,
            counterparty: 'Stripe',
            category_id: cats.get('Payment fees'),
            external_id: `dispute_fee_${order}`,
          });
          weekNet -= amount + 1500;
        }
      }
    }
    for (const [p, units] of unitsBySku) {
      const product = products[p];
      push({
        kind: 'cogs',
        amount: -product.unit_cost * units,
        occurred_on: day,
        description: `Cost of goods sold, ${product.sku}`,
        category_id: cats.get('Cost of goods'),
        product_id: product.id,
        quantity: units,
        external_id: `cogs_${day}_${product.sku}`,
      });
    }

    for (const c of CAMPAIGNS) {
      if (d < Math.floor(c.startFrac * totalDays)) continue;
      const spend = Math.round(c.daily * rnd.between(0.7, 1.3) * (0.8 + (0.4 * demandFactor(day)) / 1.2));
      const revenue = Math.round(spend * c.roas * rnd.between(0.6, 1.4));
      const clicks = Math.round(spend / rnd.between(60, 140));
      const conversions = Math.max(0, Math.round(revenue / 5200));
      stats.push({ campaign_id: campaignId.get(c.id), business_id: businessId, day, spend, impressions: clicks * rnd.int(40, 90), clicks, conversions, revenue, currency: 'USD' });
      push({
        kind: 'ad_spend',
        amount: -spend,
        occurred_on: day,
        description: `${c.platform === 'meta' ? 'Meta' : 'Google'} Ads: ${c.name}`,
        counterparty: c.platform === 'meta' ? 'Meta Platforms' : 'Google',
        category_id: cats.get('Advertising'),
        campaign_id: campaignId.get(c.id),
        external_id: `ads_${c.id}_${day}`,
      });
    }

    // Weekly payout of the processor balance to the bank: cash moves, cash in total does not.
    if (dayOfWeek(day) === 2 && weekNet > 0) {
      push({ kind: 'payout', amount: weekNet, occurred_on: day, description: 'Stripe payout to bank', counterparty: 'Stripe', external_id: `payout_${day}` });
      weekNet = 0;
    }

    const dom = Number(day.slice(8, 10));
    const month = day.slice(0, 7);
    const lastDom = new Date(Date.UTC(Number(day.slice(0, 4)), monthOf(day), 0)).getUTCDate();
    if (dom === 1) {
      push({
        kind: 'expense',
        amount: -420_000,
        occurred_on: day,
        description: 'Warehouse and studio rent',
        counterparty: 'Dockside Properties',
        category_id: cats.get('Rent'),
        external_id: `rent_${month}`,
      });
      for (const [name, cost] of SUBSCRIPTIONS) {
        push({ kind: 'expense', amount: -cost, occurred_on: day, description: `${name} subscription`, counterparty: name, category_id: cats.get('Software'), external_id: `sub_${name}_${month}` });
      }
    }
    if (dom === 15 || dom === lastDom) {
      const payroll = Math.round(1_050_000 * (1 + 0.2 * (d / 730)));
      push({ kind: 'expense', amount: -payroll, occurred_on: day, description: 'Payroll', counterparty: 'Gusto', category_id: cats.get('Payroll'), external_id: `payroll_${day}` });
    }
    if (dom === 20) {
      push({
        kind: 'expense',
        amount: -rnd.int(14_000, 26_000),
        occurred_on: day,
        description: 'Electricity and internet',
        counterparty: 'City Utilities',
        category_id: cats.get('Utilities'),
        external_id: `utilities_${month}`,
      });
      push({
        kind: 'expense',
        amount: -rnd.int(80_000, 160_000),
        occurred_on: day,
        description: 'Packaging and shipping supplies',
        counterparty: 'PackRight Supply',
        category_id: cats.get('Shipping'),
        external_id: `shipping_${month}`,
      });
    }

    // The foreign supplier: a design studio in Lisbon billing in euros at month end.
    eurUsd = Math.min(1.2, Math.max(0.98, eurUsd + rnd.between(-0.004, 0.004)));
    rates.push({ base: 'EUR', quote: 'USD', day, rate: eurUsd.toFixed(6), source: SOURCE });
    if (dom === 28) {
      const eur = -rnd.int(120_000, 180_000);
      push({
        kind: 'expense',
        amount: eur,
        currency: 'EUR',
        amount_base: convert(eur, 'EUR', 'USD', eurUsd),
        occurred_on: day,
        description: 'Product photography and design',
        counterparty: 'Estúdio Lumen, Lisboa',
        category_id: cats.get('Professional services'),
        external_id: `lumen_${month}`,
      });
    }
  }

  for (let i = 0; i < stats.length; i += 1000) await db('ad_campaign_stats').insert(stats.slice(i, i + 1000));
  for (let i = 0; i < rates.length; i += 1000)
    await db('exchange_rates')
      .insert(rates.slice(i, i + 1000))
      .onConflict(['base', 'quote', 'day'])
      .ignore();
  return ledger.insertMany(db, actor, rows);
}

/** The candle club's plans: Stripe price id, amount in cents, billing interval. */
const CLUB_PLANS = {
  monthly: { id: 'price_club_monthly', amount: 3200, interval: 'month' },
  duo: { id: 'price_club_duo', amount: 5400, interval: 'month' },
  annual: { id: 'price_club_annual', amount: 32_000, interval: 'year' },
} as const;
type ClubPlan = keyof typeof CLUB_PLANS;

/** A club subscription as Stripe describes it, in one state (the fields the subscription metrics read). */
function clubSubscription(s: {
  id: string;
  customer: string;
  plan: ClubPlan;
  created: number;
  status: string;
  coupon: boolean;
  trialEnd: number | null;
  canceledAt?: number;
  cancelAt?: number;
  endedAt?: number;
}): Stripe.Subscription {
  const plan = CLUB_PLANS[s.plan];
  const coupon = { id: 'CLUB20', object: 'coupon', percent_off: 20, amount_off: null, currency: null, duration: 'forever', duration_in_months: null, valid: true };
  return {
    id: s.id,
    object: 'subscription',
    customer: s.customer,
    currency: 'usd',
    status: s.status,
    created: s.created,
    start_date: s.created,
    trial_start: s.trialEnd ? s.created : null,
    trial_end: s.trialEnd,
    cancel_at_period_end: Boolean(s.cancelAt && !s.endedAt),
    cancel_at: s.cancelAt ?? null,
    canceled_at: s.canceledAt ?? null,
    ended_at: s.endedAt ?? null,
    default_tax_rates: [],
    discounts: s.coupon ? [{ id: `di_${s.id.slice(4)}`, object: 'discount', start: s.created, end: null, source: { type: 'coupon', coupon } }] : [],
    items: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: `si_${s.id.slice(4)}`,
          object: 'subscription_item',
          quantity: 1,
          discounts: [],
          tax_rates: [],
          price: {
            id: plan.id,
            object: 'price',
            currency: 'usd',
            billing_scheme: 'per_unit',
            unit_amount: plan.amount,
            unit_amount_decimal: String(plan.amount),
            recurring: { interval: plan.interval, interval_count: 1, usage_type: 'licensed' },
          },
        },
      ],
    },
  } as unknown as Stripe.Subscription;
}

/**
 * Northwind's candle club, sold as Stripe subscriptions since `start`: a box a month, a
 * duo box, or a year paid ahead; some join with a 14-day trial, some with a 20 % code,
 * a few change box or leave each month. Recorded state by state as Stripe's webhooks
 * would deliver them, so the metrics pages show MRR and its movements. Only the
 * subscription tables are written: the ledger and its figures stay as they were.
 */
async function seedCandleClub(db: Db, businessId: string, start: string, now: Date): Promise<number> {
  const rnd = prng(424_242);
  const nowSec = Math.floor(now.getTime() / 1000);
  const at = (day: string, hour: number) => Math.floor(Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`) / 1000);
  const states: [Stripe.Subscription, number][] = [];
  let n = 0;
  const totalDays = Math.round((now.getTime() - Date.parse(`${start}T00:00:00Z`)) / 86_400_000);
  for (let d = 0; d < totalDays; d++) {
    const day = addDays(start, d);
    for (let j = rnd.count(0.25 + 0.15 * (d / totalDays)); j > 0; j--) {
      n++;
      const id = `sub_club${String(n).padStart(4, '0')}`;
      const customer = `cus_club${String(n).padStart(4, '0')}`;
      let plan: ClubPlan = rnd.pickWeighted(['monthly', 'duo', 'annual'] as ClubPlan[], [0.6, 0.25, 0.15]);
      const coupon = rnd.chance(0.15);
      const created = at(day, rnd.int(8, 21));
      const trialEnd = plan !== 'annual' && rnd.chance(0.3) ? created + 14 * 86_400 : null;
      const sub = (over: Partial<Parameters<typeof clubSubscription>[0]>) => clubSubscription({ id, customer, plan, created, status: 'active', coupon, trialEnd, ...over });
      if (trialEnd) {
        states.push([sub({ status: 'trialing' }), created]);
        if (trialEnd > nowSec) continue;
        if (rnd.chance(0.25)) {
          states.push([sub({ status: 'canceled', canceledAt: trialEnd, endedAt: trialEnd }), trialEnd]);
          continue;
        }
        states.push([sub({}), trialEnd]);
      } else states.push([sub({}), created]);
      // Month by month after it starts paying: a change of box, or leaving at the end of a period.
      const period = plan === 'annual' ? 365 * 86_400 : 30 * 86_400;
      for (let t = (trialEnd ?? created) + period; t < nowSec; t += period) {
        if (rnd.chance(plan === 'annual' ? 0.2 : 0.035)) {
          const noticed = t - rnd.int(3, 20) * 86_400;
          if (noticed > nowSec) break;
          states.push([sub({ cancelAt: t, canceledAt: noticed }), noticed]);
          if (t <= nowSec) states.push([sub({ status: 'canceled', cancelAt: t, canceledAt: noticed, endedAt: t }), t]);
          break;
        }
        if (plan === 'monthly' && rnd.chance(0.03)) plan = 'duo';
        else if (plan === 'duo' && rnd.chance(0.03)) plan = 'monthly';
        else continue;
        states.push([sub({}), t]);
      }
    }
  }
  await recordSubscriptions(
    db,
    businessId,
    states.map(([subscription, seconds]) => ({ subscription, observedAt: new Date(seconds * 1000) })),
  );
  return n;
}

/** A second, small business, so the switcher has somewhere to go: a design studio billing clients monthly. */
async function seedStudio(db: Db, actor: Actor, businessId: string, start: string, end: string): Promise<number> {
  const rnd = prng(7);
  const cats = await categories.idsByName(db, businessId);
  const rows: NewTransaction[] = [];
  const base = { business_id: businessId, currency: 'EUR', source: SOURCE };
  rows.push({ ...base, kind: 'transfer', amount: 2_000_000, amount_base: 2_000_000, occurred_on: start, description: 'Opening balance', external_id: 'opening' });
  const clients = ['Atlas Ferries', 'Mareva Hotels', 'Porto Bikes', 'Quinta Verde'];
  for (let month = start.slice(0, 7); `${month}-01` <= end; month = addDays(`${month}-01`, 32).slice(0, 7)) {
    for (const client of clients) {
      if (!rnd.chance(0.7)) continue;
      const amount = rnd.int(150_000, 600_000);
      const day = `${month}-${String(rnd.int(3, 25)).padStart(2, '0')}`;
      if (day < start || day > end) continue;
      rows.push({
        ...base,
        kind: 'sale',
        amount,
        amount_base: amount,
        occurred_on: day,
        description: `Invoice ${client} ${month}`,
        counterparty: client,
        category_id: cats.get('Sales'),
        external_id: `inv_${client}_${month}`,
      });
    }
    const first = `${month}-01`;
    if (first >= start && first <= end) {
      rows.push({
        ...base,
        kind: 'expense',
        amount: -180_000,
        amount_base: -180_000,
        occurred_on: first,
        description: 'Studio rent',
        counterparty: 'Harbor Lofts',
        category_id: cats.get('Rent'),
        external_id: `rent_${month}`,
      });
      rows.push({
        ...base,
        kind: 'expense',
        amount: -5_900,
        amount_base: -5_900,
        occurred_on: first,
        description: 'Figma subscription',
        counterparty: 'Figma',
        category_id: cats.get('Software'),
        external_id: `figma_${month}`,
      });
      rows.push({
        ...base,
        kind: 'expense',
        amount: -700_000,
        amount_base: -700_000,
        occurred_on: first,
        description: 'Salaries',
        counterparty: 'Payroll',
        category_id: cats.get('Payroll'),
        external_id: `payroll_${month}`,
      });
    }
  }
  return ledger.insertMany(db, actor, rows);
}

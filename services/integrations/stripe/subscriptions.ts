import type Stripe from 'stripe';
import type { Db } from '../../core/db.ts';
import { isoDate } from '../../core/clock.ts';
import { converterFor } from '../../ledger/exchange-rates.ts';
import { MRR_STATUSES, monthly } from '../../reports/definitions.ts';

/**
 * A business's Stripe subscriptions, as the subscription metrics need them
 * (services/reports/subscriptions.ts reads what this writes). The sync and the webhook
 * job hand every subscription object they list or receive to `recordSubscription`, with
 * the moment its state was observed. Each state is kept (subscription_observations) and
 * the subscription's MRR history is rebuilt from all of them, so a state delivered twice
 * changes nothing and states delivered in any order give the same history.
 *
 * Discounts and coupons are read only where Stripe expanded them (a discount given as a
 * bare id says nothing of its size): list with `expand: ['data.discounts.source.coupon',
 * 'data.items.data.discounts.source.coupon']` or retrieve likewise.
 */

/** What one observed state says about a subscription's MRR (minor units of its currency). */
export type SubscriptionFacts = {
  customerId: string;
  status: string;
  currency: string;
  /** MRR while it runs, as of the moment observed; 0 for a status that does not count (trialing, unpaid, …). */
  mrr: number;
  startedOn: string;
  /** The day a trial ended, when it ended by the moment observed. */
  trialEndedOn: string | null;
  /** The day it ends (ended, canceled, or set to cancel on that day), or null while it runs on. */
  endsOn: string | null;
  /** Changes already known ahead: a repeating discount that ends on a day. */
  scheduled: { on: string; mrr: number }[];
};

const day = (seconds: number) => isoDate(new Date(seconds * 1000));
const idOf = (x: string | { id: string }) => (typeof x === 'string' ? x : x.id);

/** A Decimal of the SDK, or the string the wire carries. */
type DecimalLike = { toString(): string } | string | null;

type Priced = {
  unit_amount: number | null;
  unit_amount_decimal: DecimalLike;
  billing_scheme?: string;
  tiers_mode?: string | null;
  tiers?: Stripe.Price.Tier[];
  transform_quantity?: Stripe.Price.TransformQuantity | null;
};

/** One item's charge per billing period before discounts and tax, or null when it cannot be known ahead (metered). */
function itemAmount(price: Priced, quantity: number): number {
  let qty = quantity;
  if (price.transform_quantity) {
    const q = qty / price.transform_quantity.divide_by;
    qty = price.transform_quantity.round === 'down' ? Math.floor(q) : Math.ceil(q);
  }
  if (price.billing_scheme === 'tiered' && price.tiers?.length) {
    const unit = (t: Stripe.Price.Tier) => t.unit_amount ?? Number(String(t.unit_amount_decimal ?? 0));
    if (price.tiers_mode === 'volume') {
      const tier = price.tiers.find((t) => t.up_to === null || qty <= t.up_to) ?? price.tiers[price.tiers.length - 1];
      return unit(tier) * qty + (tier.flat_amount ?? 0);
    }
    let total = 0;
    let below = 0;
    for (const t of price.tiers) {
      if (qty <= below) break;
      const top = t.up_to === null ? qty : Math.min(qty, t.up_to);
      total += unit(t) * (top - below) + (t.flat_amount ?? 0);
      below = top;
    }
    return total;
  }
  const unit = price.unit_amount ?? Number(String(price.unit_amount_decimal ?? 0));
  return unit * qty;
}

/** A discount's coupon when Stripe expanded it and it reduces recurring revenue at `at` (seconds): forever, or repeating until its end. */
function couponOf(d: string | Stripe.Discount, at: number): { coupon: Stripe.Coupon; end: number | null } | null {
  if (typeof d === 'string') return null;
  const coupon = d.source?.coupon;
  if (!coupon || typeof coupon === 'string') return null;
  if (coupon.duration === 'forever') return { coupon, end: null };
  if (coupon.duration !== 'repeating') return null;
  const end =
    d.end ??
    (coupon.duration_in_months
      ? Math.floor(Date.UTC(new Date(d.start * 1000).getUTCFullYear(), new Date(d.start * 1000).getUTCMonth() + coupon.duration_in_months, new Date(d.start * 1000).getUTCDate()) / 1000)
      : null);
  return end === null || end > at ? { coupon, end } : null;
}

/** An amount (per month) after a list of discounts in Stripe's order; an amount off is per invoice, brought to a month like the price. */
function discounted(amount: number, discounts: readonly (string | Stripe.Discount)[], at: number, perMonth: (x: number) => number): number {
  let left = amount;
  for (const d of discounts) {
    const c = couponOf(d, at);
    if (!c) continue;
    if (c.coupon.percent_off) left -= (left * c.coupon.percent_off) / 100;
    else if (c.coupon.amount_off) left -= perMonth(c.coupon.amount_off);
    left = Math.max(0, left);
  }
  return left;
}

/** The rate of an inclusive tax on a price, to take off it (tax is not revenue). */
function inclusiveTax(rates: readonly Stripe.TaxRate[] | null | undefined): number {
  return (rates ?? []).filter((r) => r.inclusive).reduce((s, r) => s + (r.percentage ?? 0), 0);
}

/** The subscription's MRR as of `at` (seconds) while it runs, in minor units of its currency, before its status is considered. */
export function runningMrr(sub: Stripe.Subscription, at: number): number {
  let total = 0;
  let subscriptionMonth: ((x: number) => number) | null = null;
  for (const item of sub.items?.data ?? []) {
    const price = item.price;
    const recurring = price?.recurring;
    if (!recurring || recurring.usage_type === 'metered') continue;
    const perMonth = (x: number) => monthly(x, recurring.interval, recurring.interval_count) ?? 0;
    subscriptionMonth ??= perMonth;
    const tax = inclusiveTax(item.tax_rates?.length ? item.tax_rates : sub.default_tax_rates);
    const gross = itemAmount(price, item.quantity ?? 1) / (1 + tax / 100);
    total += discounted(perMonth(gross), item.discounts ?? [], at, perMonth);
  }
  return Math.round(discounted(total, sub.discounts ?? [], at, subscriptionMonth ?? ((x) => x)));
}

/** Everything MRR needs from one observed state of a subscription (pure). */
export function subscriptionFacts(sub: Stripe.Subscription, observedAt: Date): SubscriptionFacts {
  const at = Math.floor(observedAt.getTime() / 1000);
  const running = runningMrr(sub, at);
  const counts = (MRR_STATUSES as readonly string[]).includes(sub.status) || sub.status === 'canceled';
  const start = sub.start_date ?? sub.created;
  const end = sub.ended_at ?? (sub.status === 'canceled' ? (sub.canceled_at ?? at) : sub.cancel_at);
  const scheduled: { on: string; mrr: number }[] = [];
  if (counts && sub.status !== 'canceled') {
    // A repeating discount that ends while the subscription runs raises its MRR that day.
    const ends = [...(sub.discounts ?? []), ...(sub.items?.data ?? []).flatMap((i) => i.discounts ?? [])]
      .map((d) => couponOf(d, at)?.end ?? null)
      .filter((e): e is number => e !== null && (end === null || e < end))
      .sort((a, b) => a - b);
    for (const e of ends) scheduled.push({ on: day(e), mrr: runningMrr(sub, e) });
  }
  return {
    customerId: idOf(sub.customer),
    status: sub.status,
    currency: sub.currency.toUpperCase(),
    mrr: counts ? running : 0,
    startedOn: day(start),
    trialEndedOn: sub.trial_end && sub.trial_end > start && sub.trial_end <= at ? day(sub.trial_end) : null,
    endsOn: end ? day(end) : null,
    scheduled,
  };
}

export type MrrPoint = { on: string; mrr: number };

/**
 * A subscription's MRR as a step function (the day each value took effect), from its
 * observed states in the order they were observed (pure). The first state stands for
 * the subscription from its start (a backfill knows nothing earlier; a trial that had
 * ended by then counts 0 until it ended); each later one from the day it was observed,
 * replacing what earlier ones said of that day and after. An end (or a known change
 * ahead) takes effect on its day.
 */
export function mrrTimeline(observed: readonly { observedAt: Date; facts: SubscriptionFacts }[]): MrrPoint[] {
  let points: MrrPoint[] = [];
  observed.forEach(({ observedAt, facts }, i) => {
    const from = i === 0 ? facts.startedOn : isoDate(observedAt);
    let own: MrrPoint[] =
      i === 0 && facts.trialEndedOn
        ? [
            { on: from, mrr: 0 },
            { on: facts.trialEndedOn, mrr: facts.mrr },
          ]
        : [{ on: from, mrr: facts.mrr }];
    own.push(...facts.scheduled);
    if (facts.endsOn) own = [...own.filter((p) => p.on < facts.endsOn!), { on: facts.endsOn, mrr: 0 }];
    const cut = own.reduce((m, p) => (p.on < m ? p.on : m), own[0].on);
    points = [...points.filter((p) => p.on < cut), ...own].sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
  });
  // One value a day (the last said), and only where it changes.
  const out: MrrPoint[] = [];
  for (const p of points) {
    if (out.length && out[out.length - 1].on === p.on) out.pop();
    if (!out.length || out[out.length - 1].mrr !== p.mrr) out.push(p);
  }
  return out;
}

/** Whether two states say the same of MRR (field by field: jsonb does not keep the order of keys). */
function sameFacts(a: SubscriptionFacts, b: SubscriptionFacts): boolean {
  const keys: (keyof SubscriptionFacts)[] = ['customerId', 'status', 'currency', 'mrr', 'startedOn', 'trialEndedOn', 'endsOn'];
  return keys.every((k) => a[k] === b[k]) && a.scheduled.length === b.scheduled.length && a.scheduled.every((s, i) => s.on === b.scheduled[i].on && s.mrr === b.scheduled[i].mrr);
}

/**
 * Records one observed state of a subscription of the business and rebuilds its MRR
 * history. Idempotent: a state already recorded, or one that says nothing new since the
 * state observed just before it, changes nothing. Order-tolerant: the history is the
 * same whatever order states arrive in; a state observed before the newest one recorded
 * only fills in the days before that newest one.
 */
export async function recordSubscription(db: Db, businessId: string, sub: Stripe.Subscription, observedAt: Date): Promise<void> {
  await recordSubscriptions(db, businessId, [{ subscription: sub, observedAt }]);
}

type Observed = { observedAt: Date; facts: SubscriptionFacts };

/**
 * `recordSubscription` for many states at once (a page of a backfill, the demo), in one
 * transaction and a handful of queries whatever their number; the same rules apply.
 */
export async function recordSubscriptions(db: Db, businessId: string, states: readonly { subscription: Stripe.Subscription; observedAt: Date }[]): Promise<void> {
  if (!states.length) return;
  await db.transaction(async (trx) => {
    // One writer of a business's subscriptions at a time, so two deliveries never rebuild over each other.
    await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`subscriptions:${businessId}`]);
    const ids = [...new Set(states.map((s) => s.subscription.id))];
    const [stored, business] = await Promise.all([
      trx('subscription_observations').where('business_id', businessId).whereIn('subscription_id', ids).orderBy('observed_at').select('subscription_id', 'observed_at', 'facts'),
      trx('businesses').where({ id: businessId }).first('currency'),
    ]);
    const bySubscription = new Map<string, Observed[]>(ids.map((id) => [id, []]));
    for (const r of stored as { subscription_id: string; observed_at: Date; facts: SubscriptionFacts }[])
      bySubscription.get(r.subscription_id)!.push({ observedAt: new Date(r.observed_at), facts: r.facts });
    const inserts: Record<string, unknown>[] = [];
    const changed = new Set<string>();
    for (const { subscription: sub, observedAt } of [...states].sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime())) {
      const list = bySubscription.get(sub.id)!;
      const facts = subscriptionFacts(sub, observedAt);
      const at = list.findIndex((o) => o.observedAt.getTime() >= observedAt.getTime());
      const before = at < 0 ? list[list.length - 1] : at > 0 ? list[at - 1] : undefined;
      if (at >= 0 && list[at].observedAt.getTime() === observedAt.getTime()) continue;
      if (before && sameFacts(before.facts, facts)) continue;
      list.splice(at < 0 ? list.length : at, 0, { observedAt, facts });
      changed.add(sub.id);
      inserts.push({
        business_id: businessId,
        subscription_id: sub.id,
        observed_at: observedAt,
        customer_id: facts.customerId,
        status: facts.status,
        currency: facts.currency,
        mrr: facts.mrr,
        facts: JSON.stringify(facts),
        payload: JSON.stringify(sub),
      });
    }
    if (!changed.size) return;
    const history: Record<string, unknown>[] = [];
    const converters = new Map<string, (amount: number, day: string) => number | null>();
    for (const id of changed) {
      const observed = bySubscription.get(id)!;
      const latest = observed[observed.length - 1].facts;
      const points = mrrTimeline(observed);
      if (!converters.has(latest.currency)) converters.set(latest.currency, await converterFor(trx, businessId, latest.currency, business.currency, '2100-12-31'));
      const toBase = converters.get(latest.currency)!;
      for (const p of points) {
        history.push({ business_id: businessId, subscription_id: id, effective_on: p.on, customer_id: latest.customerId, currency: latest.currency, mrr: p.mrr, mrr_base: toBase(p.mrr, p.on) });
      }
    }
    for (let i = 0; i < inserts.length; i += 500) await trx('subscription_observations').insert(inserts.slice(i, i + 500));
    await trx('subscription_mrr_history')
      .where('business_id', businessId)
      .whereIn('subscription_id', [...changed])
      .delete();
    for (let i = 0; i < history.length; i += 1000) await trx('subscription_mrr_history').insert(history.slice(i, i + 1000));
  });
}

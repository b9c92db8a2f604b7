import type { Db } from '../core/db.ts';
import { arpu, customerChurn, label, mrrMovement, type TermId } from './definitions.ts';
import { addDays } from '../core/clock.ts';
import { addMonths, monthEnd, monthStart, monthsOf, type Range } from './periods.ts';
import { change, type Change } from './changes.ts';

/**
 * Subscription metrics (MRR, its movements, customer churn, ARPU) as definitions.ts
 * defines them, from the MRR history of the business's Stripe subscriptions
 * (services/integrations/stripe/subscriptions.ts records it). The only place these
 * figures are computed: the metrics page, the dashboard, the API, readiness and the
 * agent all read them from here. Money is minor units of the business's currency.
 */

export type HistoryRow = { subscription_id: string; customer_id: string; effective_on: string; mrr_base: number | null };

/** One period's subscription figures. */
export type SubscriptionPeriod = {
  from: string;
  to: string;
  /** MRR at the end of the period's last day. */
  mrr: number;
  /** MRR at the end of the day before the period. */
  startMrr: number;
  newMrr: number;
  reactivation: number;
  expansion: number;
  contraction: number;
  churned: number;
  /** new + reactivation + expansion − contraction − churned, which is mrr − startMrr. */
  netNew: number;
  /** Paying customers at the end of the period. */
  customers: number;
  customersAtStart: number;
  customersLost: number;
  customerChurn: number | null;
  arpu: number | null;
};

type Bucket = Omit<SubscriptionPeriod, 'customerChurn' | 'arpu'> & { startSet: Set<string> | null; done: boolean };

/**
 * The figures of each period from a business's MRR history (pure). A customer's MRR is
 * the sum of its subscriptions'; each day it changes is one movement (definitions.ts
 * mrrMovement), counted in every period containing that day. Periods may overlap or
 * leave gaps; each is judged on its own.
 */
export function periodsFrom(rows: readonly HistoryRow[], periods: readonly Range[]): SubscriptionPeriod[] {
  const sorted = [...rows].sort((a, b) => (a.effective_on < b.effective_on ? -1 : a.effective_on > b.effective_on ? 1 : 0));
  const subs = new Map<string, { customer: string; mrr: number }>();
  const customers = new Map<string, number>();
  const everPaid = new Set<string>();
  let total = 0;
  const buckets: Bucket[] = periods.map((p) => ({
    from: p.from,
    to: p.to,
    mrr: 0,
    startMrr: 0,
    newMrr: 0,
    reactivation: 0,
    expansion: 0,
    contraction: 0,
    churned: 0,
    netNew: 0,
    customers: 0,
    customersAtStart: 0,
    customersLost: 0,
    startSet: null,
    done: false,
  }));
  const paying = () => new Set([...customers].filter(([, v]) => v > 0).map(([c]) => c));
  /** Closes the books of every period that starts or ends before `day` (state is as of the end of the day before). */
  const reach = (day: string) => {
    for (const b of buckets) {
      if (!b.startSet && b.from <= day) {
        b.startSet = paying();
        b.startMrr = total;
        b.customersAtStart = b.startSet.size;
      }
      if (!b.done && b.to < day) {
        const now = paying();
        b.mrr = total;
        b.customers = now.size;
        b.customersLost = [...b.startSet!].filter((c) => !now.has(c)).length;
        b.netNew = b.mrr - b.startMrr;
        b.done = true;
      }
    }
  };
  for (let i = 0; i < sorted.length; ) {
    const day = sorted[i].effective_on;
    reach(day);
    const touched = new Map<string, number>();
    for (; i < sorted.length && sorted[i].effective_on === day; i++) {
      const r = sorted[i];
      const mrr = Number(r.mrr_base ?? 0);
      const was = subs.get(r.subscription_id);
      if (!touched.has(r.customer_id)) touched.set(r.customer_id, customers.get(r.customer_id) ?? 0);
      const delta = mrr - (was?.mrr ?? 0);
      subs.set(r.subscription_id, { customer: r.customer_id, mrr });
      customers.set(r.customer_id, (customers.get(r.customer_id) ?? 0) + delta);
      total += delta;
    }
    for (const [customer, before] of touched) {
      const after = customers.get(customer) ?? 0;
      const move = mrrMovement(before, after, everPaid.has(customer));
      if (after > 0) everPaid.add(customer);
      if (!move) continue;
      for (const b of buckets) {
        if (day < b.from || day > b.to) continue;
        if (move.kind === 'new') b.newMrr += move.amount;
        else if (move.kind === 'reactivation') b.reactivation += move.amount;
        else if (move.kind === 'expansion') b.expansion += move.amount;
        else if (move.kind === 'contraction') b.contraction += move.amount;
        else b.churned += move.amount;
      }
    }
  }
  reach('9999-12-31');
  return buckets.map(({ startSet: _s, done: _d, ...b }) => ({ ...b, customerChurn: customerChurn(b.customersLost, b.customersAtStart), arpu: arpu(b.mrr, b.customers) }));
}

/** The business's MRR history up to a day (every subscription's steps), oldest first. */
export async function history(db: Db, businessId: string, through: string): Promise<HistoryRow[]> {
  return db('subscription_mrr_history')
    .where('business_id', businessId)
    .where('effective_on', '<=', through)
    .orderBy('effective_on')
    .select('subscription_id', 'customer_id', db.raw(`to_char(effective_on, 'YYYY-MM-DD') as effective_on`), 'mrr_base');
}

export type SubscriptionMonth = SubscriptionPeriod & { month: string };

/** Each calendar month the range touches (the first and last cut to the range), with its subscription figures. */
export function monthsFrom(rows: readonly HistoryRow[], range: Range): SubscriptionMonth[] {
  const months = monthsOf(range).map((m) => ({ month: m, from: `${m}-01` < range.from ? range.from : `${m}-01`, to: monthEnd(`${m}-01`) > range.to ? range.to : monthEnd(`${m}-01`) }));
  return periodsFrom(rows, months).map((p, i) => ({ month: months[i].month, ...p }));
}

/** Subscription figures by month over a range; an empty list when the business has no subscriptions. */
export async function subscriptionMonths(db: Db, businessId: string, range: Range): Promise<SubscriptionMonth[]> {
  const rows = await history(db, businessId, range.to);
  return rows.length ? monthsFrom(rows, range) : [];
}

/** The figures of the last twelve months up to a day (the current month so far), oldest first; what the metrics page, readiness and the agent read. */
export async function lastTwelveMonths(db: Db, businessId: string, today: string): Promise<SubscriptionMonth[]> {
  return subscriptionMonths(db, businessId, { from: addMonths(monthStart(today), -11), to: today });
}

/** A month as the JSON API names its fields (snake case; money in minor units, churn a fraction). */
export function apiMonth(m: SubscriptionMonth) {
  return {
    month: m.month,
    start_date: m.from,
    end_date: m.to,
    mrr: m.mrr,
    new: m.newMrr,
    reactivation: m.reactivation,
    expansion: m.expansion,
    contraction: m.contraction,
    churned: m.churned,
    net_new: m.netNew,
    customers: m.customers,
    customers_at_start: m.customersAtStart,
    customers_lost: m.customersLost,
    churn_rate: m.customerChurn,
    arpu: m.arpu,
  };
}

/** The movements in the order the pages list them, with their glossary terms; `sign` is how each moves MRR. */
export const MOVEMENTS: { key: 'newMrr' | 'reactivation' | 'expansion' | 'contraction' | 'churned'; term: TermId; sign: 1 | -1 }[] = [
  { key: 'newMrr', term: 'new_mrr', sign: 1 },
  { key: 'reactivation', term: 'reactivation_mrr', sign: 1 },
  { key: 'expansion', term: 'expansion_mrr', sign: 1 },
  { key: 'contraction', term: 'contraction_mrr', sign: -1 },
  { key: 'churned', term: 'churned_mrr', sign: -1 },
];

/**
 * What a page shows of subscription months: the months (newest last), the newest, the
 * glossary labels, and chart columns (MRR; MRR gained, as new + reactivation + expansion,
 * above zero and MRR lost, as contraction + churned, below it; net new). Null without months.
 */
export function view(months: SubscriptionMonth[]) {
  if (!months.length) return null;
  return {
    months,
    latest: months[months.length - 1],
    movements: MOVEMENTS.map((m) => ({ ...m, label: label(m.term) })),
    labels: { mrr: label('mrr'), netNew: label('net_new_mrr'), churn: label('customer_churn'), arpu: label('arpu') },
    chart: {
      labels: months.map((m) => m.month),
      series: {
        mrr: months.map((m) => m.mrr),
        gained: months.map((m) => m.newMrr + m.reactivation + m.expansion),
        lost: months.map((m) => -(m.contraction + m.churned)),
        net_new: months.map((m) => m.netNew),
      },
    },
  };
}

/** The dashboard's MRR card: MRR at the end of the range against the end of the comparison range, the movements within the range, and MRR at each trend point's end. */
export type SubscriptionCard = {
  mrr: number;
  previousMrr: number;
  change: Change;
  movements: { key: string; term: TermId; label: string; sign: 1 | -1; amount: number }[];
  netNew: number;
  customers: number;
  arpu: number | null;
  /** MRR at the end of each day of `trendEnds`. */
  trend: number[];
};

/** The card's figures from the MRR history (pure); `trendEnds` are the last days of the dashboard's trend points. */
export function cardFrom(rows: readonly HistoryRow[], range: Range, previous: Range, trendEnds: readonly string[]): SubscriptionCard {
  const [cur, prev, ...points] = periodsFrom(rows, [range, previous, ...trendEnds.map((d) => ({ from: d, to: d }))]);
  return {
    mrr: cur.mrr,
    previousMrr: prev.mrr,
    change: change(cur.mrr, prev.mrr, { unit: 'money', upIsGood: true }),
    movements: MOVEMENTS.map((m) => ({ key: m.key, term: m.term, label: label(m.term), sign: m.sign, amount: cur[m.key] })),
    netNew: cur.netNew,
    customers: cur.customers,
    arpu: cur.arpu,
    trend: points.map((p) => p.mrr),
  };
}

/** Subscription figures of the last three complete months before a day, as readiness reads them. */
export type RecentSubscriptions = {
  /** MRR at the end of the last complete month, and three months before that. */
  mrr: number;
  mrrThreeMonthsBefore: number;
  customers: number;
  /** The mean of the three months' customer churn (those with customers at their start); null when none had. */
  monthlyCustomerChurn: number | null;
  months: SubscriptionMonth[];
};

/** The last three complete months before `asOf`'s month; null when the business has no subscriptions. */
export async function recent(db: Db, businessId: string, asOf: string): Promise<RecentSubscriptions | null> {
  const to = addDays(monthStart(asOf), -1);
  const months = await subscriptionMonths(db, businessId, { from: addMonths(monthStart(asOf), -3), to });
  if (!months.length) return null;
  const rates = months.map((m) => m.customerChurn).filter((r): r is number => r !== null);
  const last = months[months.length - 1];
  return {
    mrr: last.mrr,
    mrrThreeMonthsBefore: months[0].startMrr,
    customers: last.customers,
    monthlyCustomerChurn: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
    months,
  };
}

import type { Db } from '../core/db.ts';
import * as aggregates from './aggregates.ts';
import * as readiness from '../readiness/scores.ts';
import * as cashPosition from './runway.ts';
import * as subscriptions from './subscriptions.ts';
import { profitFigures, label, NOT_CASH_KINDS, type KindSums, type TermId } from './definitions.ts';
import { change, type Change } from './changes.ts';
import { comparisonRange, daysBetween, daysOf, monthEnd, monthStart, type Preset, type Range } from './periods.ts';
import { addDays } from '../core/clock.ts';

export type Figure = {
  /** The figure's name in the API (`revenue` is net revenue, `expenses` total costs: the seeds' field names). */
  key: string;
  /** Its glossary entry, /b/:id/definitions#term. */
  term: TermId;
  label: string;
  /** money (minor units of the base currency), ratio (0..1), months, or text */
  unit: 'money' | 'ratio' | 'months';
  value: number | null;
  previous: number | null;
  change: Change;
  /** true when a rise is good news (revenue), false when it is bad (expenses). */
  upIsGood: boolean;
  /** A figure of today (burn, runway) rather than of the range: no comparison, no trend. */
  pointInTime: boolean;
};

/** Runway beside what the forecast says about running out, for the runway card. */
export type RunwayCard = {
  basis: 'net_burn' | 'not_burning' | 'forecast';
  grossBurn: number;
  window: { from: string; to: string };
  forecast: { horizonDays: number; pBelowZero: number; cashOutDate: string | null } | null;
};

export type Dashboard =
  | { empty: true; range: Range }
  | {
      empty: false;
      range: Range;
      previous: Range;
      /** The ledger's first day: a comparison period that starts before it has no comparison (previous figures null). */
      firstDay: string;
      figures: Figure[];
      runway: RunwayCard;
      topSku: { sku: string; name: string; revenue: number; previousRevenue: number | null; change: Change } | null;
      worstCampaign: { name: string; platform: string; spend: number; revenue: number; roas: number; previousRoas: number | null } | null;
      trend: { bucket: 'day' | 'month'; labels: string[]; series: Record<string, (number | null)[]> };
      /** The latest readiness score, or null before the first computation. */
      readiness: { score: number; tier: string; as_of: string } | null;
      /** MRR and its movements (services/reports/subscriptions.ts); null when the business has no subscriptions. */
      subscriptions: subscriptions.SubscriptionCard | null;
    };

function sumsOf(rows: { day: string; kind: string; amount: number }[], from: string, to: string): KindSums {
  const out: Record<string, number> = {};
  for (const r of rows) if (r.day >= from && r.day <= to) out[r.kind] = (out[r.kind] ?? 0) + Number(r.amount);
  return out;
}

/**
 * The dashboard's figures for a range, each against the same range one period earlier
 * (periods.comparisonRange), read from the stored aggregates; burn and runway are of
 * `today`, whatever the range (runway.position, checked against the forecast by `now`).
 * A business without ledger rows gets `{ empty: true }` so the page can say what to
 * do instead of showing zeros.
 */
export async function stats(db: Db, businessId: string, range: Range, at: { preset: Preset; today: string; now: Date }): Promise<Dashboard> {
  const prev = comparisonRange(at.preset, range);
  // All at once: a business without rows is rare, and waiting for that answer first cost a round trip on every page.
  const [{ span, sumThrough: cashBeforePrev }, rows, topSku, campaigns, score, today, subscriptionRows] = await Promise.all([
    aggregates.position(db, businessId, addDays(prev.from, -1), NOT_CASH_KINDS),
    aggregates.dailyByKind(db, businessId, prev.from, range.to),
    bestSku(db, businessId, prev, range),
    campaignTotals(db, businessId, prev, range),
    readiness.latest(db, businessId),
    cashPosition.position(db, businessId, at.today, at.now),
    subscriptions.history(db, businessId, range.to),
  ]);
  if (!span) return { empty: true, range };
  const cur = profitFigures(sumsOf(rows, range.from, range.to));
  // A comparison period the ledger covers only in part would compare a whole period with a fragment: no comparison then.
  const covered = span.first <= prev.from;
  const old = covered ? profitFigures(sumsOf(rows, prev.from, prev.to)) : null;
  // Cash at the end of each day, from the balance before the comparison range onwards.
  const cashByDay = new Map<string, number>();
  let cash = cashBeforePrev;
  const flowByDay = new Map<string, number>();
  for (const r of rows) if (!NOT_CASH_KINDS.includes(r.kind as never)) flowByDay.set(r.day, (flowByDay.get(r.day) ?? 0) + Number(r.amount));
  for (const d of daysOf({ from: prev.from, to: range.to })) {
    cash += flowByDay.get(d) ?? 0;
    cashByDay.set(d, cash);
  }
  const fig = (key: string, term: TermId, unit: Figure['unit'], value: number | null, previous: number | null, upIsGood: boolean): Figure => ({
    key,
    term,
    label: label(term),
    unit,
    value,
    previous,
    change: change(value, previous, { unit, upIsGood }),
    upIsGood,
    pointInTime: false,
  });
  const now = (key: string, term: TermId, unit: Figure['unit'], value: number | null, text: string): Figure => ({
    key,
    term,
    label: text,
    unit,
    value,
    previous: null,
    change: change(null, null, { unit, upIsGood: true }),
    upIsGood: true,
    pointInTime: true,
  });
  const figures = [
    fig('revenue', 'net_revenue', 'money', cur.netRevenue, old ? old.netRevenue : null, true),
    fig('expenses', 'total_costs', 'money', cur.totalCosts, old ? old.totalCosts : null, false),
    fig('net_profit', 'net_profit', 'money', cur.netProfit, old ? old.netProfit : null, true),
    fig('gross_margin', 'gross_margin', 'ratio', cur.grossMargin, old ? old.grossMargin : null, true),
    fig('cash', 'cash', 'money', cashByDay.get(range.to)!, cashByDay.get(prev.to)!, true),
    now('burn', 'net_burn', 'money', today?.netBurn ?? 0, label('net_burn')),
    now('runway_months', 'runway', 'months', today?.runway.months ?? null, today?.runway.label ?? label('runway')),
  ];
  const runway: RunwayCard = {
    basis: today?.runway.basis ?? 'not_burning',
    grossBurn: today?.grossBurn ?? 0,
    window: today ? { from: today.window.from, to: today.window.to } : { from: at.today, to: at.today },
    forecast: today?.forecast ? { horizonDays: today.forecast.horizonDays, pBelowZero: today.forecast.pBelowZero, cashOutDate: today.forecast.cashOutDate } : null,
  };
  const trend = buildTrend(rows, cashByDay, range);
  let subscriptionCard: subscriptions.SubscriptionCard | null = null;
  if (subscriptionRows.length) {
    const ends = trend.labels.map((l) => (trend.bucket === 'day' ? l : monthEnd(l) > range.to ? range.to : monthEnd(l)));
    subscriptionCard = subscriptions.cardFrom(subscriptionRows, range, prev, ends);
    trend.series.mrr = subscriptionCard.trend;
  }
  const readinessCard = score ? { score: score.score, tier: score.tier, as_of: score.as_of } : null;
  const sku = topSku && !covered ? { ...topSku, previousRevenue: null, change: change(null, null, { unit: 'money', upIsGood: true }) } : topSku;
  return { empty: false, range, previous: prev, firstDay: span.first, figures, runway, topSku: sku, worstCampaign: campaigns, trend, readiness: readinessCard, subscriptions: subscriptionCard };
}

/** The SKU with the most net revenue (sales less refunds and chargebacks) in the range, and its figure the period before. */
async function bestSku(db: Db, businessId: string, prev: Range, range: Range) {
  const row = await db('product_daily_totals as p')
    .join('products as pr', 'pr.id', 'p.product_id')
    .where('p.business_id', businessId)
    .whereBetween('p.day', [prev.from, range.to])
    .whereIn('p.kind', ['sale', 'refund', 'chargeback'])
    .groupBy('pr.id', 'pr.sku', 'pr.name')
    .select(
      'pr.sku',
      'pr.name',
      db.raw('coalesce(sum(p.amount) filter (where p.day >= ?), 0)::bigint as revenue', [range.from]),
      db.raw('coalesce(sum(p.amount) filter (where p.day < ?), 0)::bigint as previous', [range.from]),
    )
    .orderBy([{ column: 'revenue', order: 'desc' }, { column: 'pr.sku' }])
    .first();
  if (!row || row.revenue <= 0) return null;
  return {
    sku: row.sku as string,
    name: row.name as string,
    revenue: row.revenue as number,
    previousRevenue: row.previous as number,
    change: change(row.revenue, row.previous, { unit: 'money', upIsGood: true }),
  };
}

/** The campaign with the lowest return on ad spend in the range, among those that spent. */
async function campaignTotals(db: Db, businessId: string, prev: Range, range: Range) {
  const rows = await db('ad_campaign_stats as s')
    .join('ad_campaigns as c', 'c.id', 's.campaign_id')
    .where('s.business_id', businessId)
    .whereBetween('s.day', [prev.from, range.to])
    .groupBy('c.id', 'c.name', 'c.platform')
    .select(
      'c.name',
      'c.platform',
      db.raw('coalesce(sum(s.spend) filter (where s.day >= ?), 0)::bigint as spend', [range.from]),
      db.raw('coalesce(sum(s.revenue) filter (where s.day >= ?), 0)::bigint as revenue', [range.from]),
      db.raw('coalesce(sum(s.spend) filter (where s.day < ?), 0)::bigint as prev_spend', [range.from]),
      db.raw('coalesce(sum(s.revenue) filter (where s.day < ?), 0)::bigint as prev_revenue', [range.from]),
    );
  let worst: Extract<Dashboard, { empty: false }>['worstCampaign'] = null;
  for (const r of rows as { name: string; platform: string; spend: number; revenue: number; prev_spend: number; prev_revenue: number }[]) {
    if (r.spend <= 0) continue;
    const roas = r.revenue / r.spend;
    if (!worst || roas < worst.roas) {
      worst = { name: r.name, platform: r.platform, spend: r.spend, revenue: r.revenue, roas, previousRoas: r.prev_spend > 0 ? r.prev_revenue / r.prev_spend : null };
    }
  }
  return worst;
}

/** Daily points for ranges up to about a quarter, monthly beyond, so a chart stays readable. */
function buildTrend(rows: { day: string; kind: string; amount: number }[], cashByDay: Map<string, number>, range: Range) {
  const bucket: 'day' | 'month' = daysBetween(range.from, range.to) > 92 ? 'month' : 'day';
  const keyOf = (d: string) => (bucket === 'day' ? d : monthStart(d));
  const labels: string[] = [];
  const ends = new Map<string, string>();
  const starts = new Map<string, string>();
  for (const d of daysOf(range)) {
    const k = keyOf(d);
    if (!starts.has(k)) {
      labels.push(k);
      starts.set(k, d);
    }
    ends.set(k, d);
  }
  // Each bucket's sums in one pass over the rows (a bucket per day of a quarter is ninety).
  const bucketSums = new Map<string, Record<string, number>>();
  for (const r of rows) {
    if (r.day < range.from || r.day > range.to) continue;
    const k = keyOf(r.day);
    let sums = bucketSums.get(k);
    if (!sums) bucketSums.set(k, (sums = {}));
    sums[r.kind] = (sums[r.kind] ?? 0) + Number(r.amount);
  }
  // Burn and runway are figures of today, not of a day in the range: they have no trend here.
  const series: Record<string, (number | null)[]> = { revenue: [], expenses: [], net_profit: [], gross_margin: [], cash: [] };
  for (const k of labels) {
    const f = profitFigures(bucketSums.get(k) ?? {});
    series.revenue.push(f.netRevenue);
    series.expenses.push(f.totalCosts);
    series.net_profit.push(f.netProfit);
    series.gross_margin.push(f.grossMargin);
    series.cash.push(cashByDay.get(ends.get(k)!) ?? 0);
  }
  return { bucket, labels, series };
}

import type { Db } from '../core/db.ts';
import * as aggregates from './aggregates.ts';
import * as readiness from '../readiness/scores.ts';
import { profitFigures, monthlyBurn, runwayMonths, NOT_CASH_KINDS, type KindSums } from './definitions.ts';
import { daysBetween, daysOf, previousRange, monthStart, type Range } from './periods.ts';
import { addDays } from '../core/clock.ts';

export type Figure = {
  key: string;
  label: string;
  /** money (minor units of the base currency), ratio (0..1), months, or text */
  unit: 'money' | 'ratio' | 'months';
  value: number | null;
  previous: number | null;
  /** Relative change against the previous period, in percent; null when it cannot be said. */
  change: number | null;
  /** true when a rise is good news (revenue), false when it is bad (expenses). */
  upIsGood: boolean;
};

export type Dashboard =
  | { empty: true; range: Range }
  | {
      empty: false;
      range: Range;
      previous: Range;
      figures: Figure[];
      topSku: { sku: string; name: string; revenue: number; previousRevenue: number; change: number | null } | null;
      worstCampaign: { name: string; platform: string; spend: number; revenue: number; roas: number; previousRoas: number | null } | null;
      trend: { bucket: 'day' | 'month'; labels: string[]; series: Record<string, (number | null)[]> };
      /** The latest readiness score, or null before the first computation. */
      readiness: { score: number; tier: string; as_of: string } | null;
    };

export function percentChange(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return Math.round(((current - previous) / Math.abs(previous)) * 1000) / 10;
}

function sumsOf(rows: { day: string; kind: string; amount: number }[], from: string, to: string): KindSums {
  const out: Record<string, number> = {};
  for (const r of rows) if (r.day >= from && r.day <= to) out[r.kind] = (out[r.kind] ?? 0) + Number(r.amount);
  return out;
}

/**
 * The dashboard's figures for a range, each against the range of the same length
 * before it, read from the stored aggregates. A business without ledger rows gets
 * `{ empty: true }` so the page can say what to do instead of showing zeros.
 */
export async function stats(db: Db, businessId: string, range: Range): Promise<Dashboard> {
  const prev = previousRange(range);
  // All at once: a business without rows is rare, and waiting for that answer first cost a round trip on every page.
  const [{ span, sumThrough: cashBeforePrev }, rows, topSku, campaigns, score] = await Promise.all([
    aggregates.position(db, businessId, addDays(prev.from, -1), NOT_CASH_KINDS),
    aggregates.dailyByKind(db, businessId, prev.from, range.to),
    bestSku(db, businessId, prev, range),
    campaignTotals(db, businessId, prev, range),
    readiness.latest(db, businessId),
  ]);
  if (!span) return { empty: true, range };
  const cur = profitFigures(sumsOf(rows, range.from, range.to));
  const old = profitFigures(sumsOf(rows, prev.from, prev.to));
  // Cash at the end of each day, from the balance before the previous range onwards.
  const cashByDay = new Map<string, number>();
  let cash = cashBeforePrev;
  const flowByDay = new Map<string, number>();
  for (const r of rows) if (!NOT_CASH_KINDS.includes(r.kind as never)) flowByDay.set(r.day, (flowByDay.get(r.day) ?? 0) + Number(r.amount));
  for (const d of daysOf({ from: prev.from, to: range.to })) {
    cash += flowByDay.get(d) ?? 0;
    cashByDay.set(d, cash);
  }
  const days = daysBetween(range.from, range.to) + 1;
  const cashNow = cashByDay.get(range.to)!;
  const cashPrev = cashByDay.get(prev.to)!;
  const burn = monthlyBurn(cur.operatingCashFlow, days);
  const burnPrev = monthlyBurn(old.operatingCashFlow, days);
  const fig = (key: string, label: string, unit: Figure['unit'], value: number | null, previous: number | null, upIsGood: boolean): Figure => ({
    key,
    label,
    unit,
    value,
    previous,
    change: unit === 'ratio' ? null : percentChange(value, previous),
    upIsGood,
  });
  const figures = [
    fig('revenue', 'Revenue', 'money', cur.netRevenue, old.netRevenue, true),
    fig('expenses', 'Expenses', 'money', cur.expenses, old.expenses, false),
    fig('net_profit', 'Net profit', 'money', cur.netProfit, old.netProfit, true),
    fig('gross_margin', 'Gross margin', 'ratio', cur.grossMargin, old.grossMargin, true),
    fig('cash', 'Cash balance', 'money', cashNow, cashPrev, true),
    fig('burn', 'Monthly burn', 'money', burn, burnPrev, false),
    fig('runway_months', 'Runway', 'months', runwayMonths(cashNow, burn), runwayMonths(cashPrev, burnPrev), true),
  ];
  // A ratio's change is in percentage points, not percent of itself.
  const gm = figures[3];
  if (gm.value !== null && gm.previous !== null) gm.change = Math.round((gm.value - gm.previous) * 1000) / 10;

  const trend = buildTrend(rows, cashByDay, range);
  const readinessCard = score ? { score: score.score, tier: score.tier, as_of: score.as_of } : null;
  return { empty: false, range, previous: prev, figures, topSku, worstCampaign: campaigns, trend, readiness: readinessCard };
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
  return { sku: row.sku as string, name: row.name as string, revenue: row.revenue as number, previousRevenue: row.previous as number, change: percentChange(row.revenue, row.previous) };
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
  const series: Record<string, (number | null)[]> = { revenue: [], expenses: [], net_profit: [], gross_margin: [], cash: [], burn: [], runway_months: [] };
  for (const k of labels) {
    const f = profitFigures(bucketSums.get(k) ?? {});
    const cash = cashByDay.get(ends.get(k)!) ?? 0;
    const burn = monthlyBurn(f.operatingCashFlow, daysBetween(starts.get(k)!, ends.get(k)!) + 1);
    series.revenue.push(f.netRevenue);
    series.expenses.push(f.expenses);
    series.net_profit.push(f.netProfit);
    series.gross_margin.push(f.grossMargin);
    series.cash.push(cash);
    series.burn.push(burn);
    series.runway_months.push(runwayMonths(cash, burn));
  }
  return { bucket, labels, series };
}

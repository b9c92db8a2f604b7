import type { Db } from '../core/db.ts';
import { addDays } from '../core/clock.ts';
import * as aggregates from './aggregates.ts';
import { profitFigures, burn, burnWindow, runway, label, NOT_CASH_KINDS, RUNWAY_FORECAST_LABEL, type CashOut, type KindSums, type TermId } from './definitions.ts';
import { cashOut } from './runway.ts';
import { daysBetween } from './periods.ts';
import * as subscriptions from './subscriptions.ts';

/**
 * The metrics of a business on a day, as stored in metric_snapshots.metrics. Ratios
 * are fractions (0.031 = 3.1 %); money is minor units of the base currency; a
 * metric that cannot be said (no revenue, not burning) is null, never 0 or NaN.
 *
 * Windows, all ending on `as_of` inclusive:
 * - revenue_total, net_profit: net revenue and net profit (services/reports/definitions.ts) over 30 days
 * - revenue_growth_mom: against the 30 days before; revenue_growth_yoy: against the 30 days ending a year earlier
 * - revenue_volatility: coefficient of variation (population stdev / mean) of weekly net revenue over 12 weeks
 * - refund_rate: refunds / gross sales, 90 days; chargeback_ratio: chargebacks / sales by count, 90 days
 * - payout_reliability: share of the last 13 weeks with at least one payout (null if never paid out)
 * - gross_margin: gross profit / net revenue, 90 days
 * - burn, gross_burn, runway_months: net burn, gross burn and runway as definitions.ts defines them (the last
 *   three complete calendar months); runway_basis says whether runway is cash ÷ net burn, not burning, or the
 *   forecast's median cash-out date (only when the snapshot was taken with today's forecast)
 * - cash: balance at the end of the day; months_of_history: whole months since the first ledger row
 * - top_sku_share: the best-selling SKU's share of product revenue, 90 days
 */
export type Metrics = {
  revenue_total: number;
  revenue_growth_mom: number | null;
  revenue_growth_yoy: number | null;
  revenue_volatility: number | null;
  refund_rate: number | null;
  chargeback_ratio: number | null;
  payout_reliability: number | null;
  gross_margin: number | null;
  net_profit: number;
  burn: number;
  gross_burn: number;
  runway_months: number | null;
  runway_basis: 'net_burn' | 'not_burning' | 'forecast';
  cash: number;
  months_of_history: number;
  top_sku_share: number | null;
};

/** The figures the metrics page shows, each with its glossary term where it has one. */
export const METRIC_LABELS: Record<Exclude<keyof Metrics, 'runway_basis'>, { label: string; unit: 'money' | 'ratio' | 'months' | 'number'; term?: TermId }> = {
  revenue_total: { label: `${label('net_revenue')}, 30 days`, unit: 'money', term: 'net_revenue' },
  revenue_growth_mom: { label: 'Revenue growth, month on month', unit: 'ratio' },
  revenue_growth_yoy: { label: 'Revenue growth, year on year', unit: 'ratio' },
  revenue_volatility: { label: 'Revenue volatility (CV of weekly revenue)', unit: 'ratio' },
  refund_rate: { label: 'Refund rate, 90 days', unit: 'ratio' },
  chargeback_ratio: { label: 'Chargeback ratio, 90 days', unit: 'ratio' },
  payout_reliability: { label: 'Payout reliability, 13 weeks', unit: 'ratio' },
  gross_margin: { label: `${label('gross_margin')}, 90 days`, unit: 'ratio', term: 'gross_margin' },
  net_profit: { label: `${label('net_profit')}, 30 days`, unit: 'money', term: 'net_profit' },
  burn: { label: label('net_burn'), unit: 'money', term: 'net_burn' },
  gross_burn: { label: label('gross_burn'), unit: 'money', term: 'gross_burn' },
  runway_months: { label: label('runway'), unit: 'months', term: 'runway' },
  cash: { label: label('cash'), unit: 'money', term: 'cash' },
  months_of_history: { label: 'Months of history', unit: 'number' },
  top_sku_share: { label: 'Top SKU share of product revenue', unit: 'ratio' },
};

export type DayRow = { day: string; kind: string; amount: number; entries: number };

/** The formulas above, over daily totals by kind; no I/O. `cashOut` is today's forecast, when runway is to be checked against it. */
export function metricsFrom(input: { asOf: string; days: DayRow[]; cash: number; firstDay: string; productRevenue: number[]; cashOut?: CashOut | null }): Metrics {
  const { asOf, days } = input;
  const window = (len: number, endOffset = 0) => {
    const to = addDays(asOf, -endOffset);
    const from = addDays(to, -(len - 1));
    const sums: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (const r of days) {
      if (r.day < from || r.day > to) continue;
      sums[r.kind] = (sums[r.kind] ?? 0) + Number(r.amount);
      counts[r.kind] = (counts[r.kind] ?? 0) + Number(r.entries);
    }
    return { sums: sums as KindSums, counts };
  };
  const growth = (cur: number, prev: number) => (prev > 0 ? (cur - prev) / prev : null);
  const m30 = profitFigures(window(30).sums);
  const prev30 = profitFigures(window(30, 30).sums);
  const yearAgo = profitFigures(window(30, 365).sums);
  const w90 = window(90);
  const m90 = profitFigures(w90.sums);

  const weekly = [...Array(12)].map((_, i) => profitFigures(window(7, i * 7).sums).netRevenue);
  const mean = weekly.reduce((s, v) => s + v, 0) / weekly.length;
  const sd = Math.sqrt(weekly.reduce((s, v) => s + (v - mean) ** 2, 0) / weekly.length);

  const everPaidOut = days.some((r) => r.kind === 'payout' && r.day <= asOf && Number(r.entries) > 0);
  const weeksWithPayout = [...Array(13)].filter((_, i) => (window(7, i * 7).counts.payout ?? 0) > 0).length;

  const sales = w90.sums.sale ?? 0;
  const saleCount = w90.counts.sale ?? 0;
  const burnMonths = burnWindow(asOf, input.firstDay);
  const burns = burnMonths ? burn(days, burnMonths) : { netBurn: 0, grossBurn: 0 };
  const run = runway(input.cash, burns.netBurn, input.cashOut ?? null);
  const productTotal = input.productRevenue.reduce((s, v) => s + Math.max(0, v), 0);
  const [y0, mo0, d0] = input.firstDay.split('-').map(Number);
  const [y1, mo1, d1] = asOf.split('-').map(Number);
  return {
    revenue_total: m30.netRevenue,
    revenue_growth_mom: growth(m30.netRevenue, prev30.netRevenue),
    revenue_growth_yoy: growth(m30.netRevenue, yearAgo.netRevenue),
    revenue_volatility: mean > 0 ? sd / mean : null,
    refund_rate: sales > 0 ? -(w90.sums.refund ?? 0) / sales : null,
    chargeback_ratio: saleCount > 0 ? (w90.counts.chargeback ?? 0) / saleCount : null,
    payout_reliability: everPaidOut ? weeksWithPayout / 13 : null,
    gross_margin: m90.grossMargin,
    net_profit: m30.netProfit,
    burn: burns.netBurn,
    gross_burn: burns.grossBurn,
    runway_months: run.months,
    runway_basis: run.basis,
    cash: input.cash,
    months_of_history: Math.max(0, (y1 - y0) * 12 + (mo1 - mo0) - (d1 < d0 ? 1 : 0)),
    top_sku_share: productTotal > 0 ? Math.max(...input.productRevenue) / productTotal : null,
  };
}

/**
 * Metrics of a business as of a day, from the aggregates; null when it has no ledger rows by then.
 * With `now` (the caller's clock), runway is checked against the forecast from `asOf` (stored
 * within the hour, or computed), as every page shows it; without, runway is cash ÷ net burn alone
 * (the month-end history, where no forecast from that day exists).
 */
export async function computeMetrics(db: Db, businessId: string, asOf: string, now?: Date): Promise<Metrics | null> {
  const span = await aggregates.span(db, businessId);
  if (!span || span.first > asOf) return null;
  const [days, cash, products, out] = await Promise.all([
    aggregates.dailyByKind(db, businessId, addDays(asOf, -(365 + 29)), asOf),
    aggregates.sumThrough(db, businessId, asOf, NOT_CASH_KINDS),
    aggregates.productTotals(db, businessId, addDays(asOf, -89), asOf),
    now ? cashOut(db, businessId, asOf, now) : null,
  ]);
  const perProduct = new Map<string, number>();
  for (const p of products) if (['sale', 'refund', 'chargeback'].includes(p.kind)) perProduct.set(p.product_id, (perProduct.get(p.product_id) ?? 0) + Number(p.amount));
  return metricsFrom({ asOf, days: days as DayRow[], cash, firstDay: span.first, productRevenue: [...perProduct.values()], cashOut: out });
}

/**
 * Computes and stores the metrics of a day (replacing that day's snapshot); returns them, or null without data.
 * `computedAt` is the caller's clock, so freshness (`fresh`) is judged by the same clock that stamped it.
 */
export async function snapshotMetrics(db: Db, businessId: string, asOf: string, computedAt?: Date): Promise<Metrics | null> {
  const metrics = await computeMetrics(db, businessId, asOf, computedAt);
  if (!metrics) return null;
  await db('metric_snapshots')
    .insert({ business_id: businessId, as_of: asOf, metrics: JSON.stringify(metrics), computed_at: computedAt ?? db.fn.now() })
    .onConflict(['business_id', 'as_of'])
    .merge(['metrics', 'computed_at']);
  return metrics;
}

/** Snapshots every business with ledger rows, as of a day; what the hourly job does. */
export async function snapshotAll(db: Db, asOf: string, computedAt?: Date): Promise<{ businesses: number }> {
  const ids: string[] = await db('businesses').pluck('id');
  let n = 0;
  for (const id of ids) if (await snapshotMetrics(db, id, asOf, computedAt)) n++;
  return { businesses: n };
}

/**
 * Snapshots for the last day of each month of a business's history (and today), so
 * the metrics page has a history from the start; used after the demo seed. Reads the
 * aggregates once and computes every snapshot in memory with the same formulas.
 */
export async function backfillMonthly(db: Db, businessId: string, today: string, computedAt?: Date): Promise<number> {
  const span = await aggregates.span(db, businessId);
  if (!span) return 0;
  const dates: string[] = [];
  for (let d = `${span.first.slice(0, 7)}-01`; d <= today; ) {
    const [y, m] = d.split('-').map(Number);
    const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    const asOf = end > today ? today : end;
    if (daysBetween(span.first, asOf) >= 27 && asOf !== today) dates.push(asOf);
    d = addDays(end, 1);
  }
  dates.push(today);
  const [days, products] = await Promise.all([
    aggregates.dailyByKind(db, businessId, span.first, today),
    db('product_daily_totals').where('business_id', businessId).whereIn('kind', ['sale', 'refund', 'chargeback']).whereBetween('day', [span.first, today]).select('day', 'product_id', 'amount'),
  ]);
  // Today's snapshot is the one pages read, so its runway is checked against today's forecast like theirs.
  const todayOut = computedAt ? await cashOut(db, businessId, today, computedAt) : null;
  const rows = [];
  for (const asOf of dates) {
    let cash = 0;
    for (const r of days) if (r.day <= asOf && !NOT_CASH_KINDS.includes(r.kind)) cash += Number(r.amount);
    const from90 = addDays(asOf, -89);
    const perProduct = new Map<string, number>();
    for (const p of products as { day: string; product_id: string; amount: number }[]) {
      if (p.day >= from90 && p.day <= asOf) perProduct.set(p.product_id, (perProduct.get(p.product_id) ?? 0) + Number(p.amount));
    }
    const metrics = metricsFrom({ asOf, days: days as DayRow[], cash, firstDay: span.first, productRevenue: [...perProduct.values()], cashOut: asOf === today ? todayOut : null });
    rows.push({ business_id: businessId, as_of: asOf, metrics: JSON.stringify(metrics), computed_at: computedAt ?? db.fn.now() });
  }
  await db('metric_snapshots').insert(rows).onConflict(['business_id', 'as_of']).merge(['metrics', 'computed_at']);
  return rows.length;
}

export type Snapshot = { as_of: string; metrics: Metrics };

/** The newest snapshot, or null before the first. */
export async function latest(db: Db, businessId: string): Promise<Snapshot | null> {
  const row = await db('metric_snapshots').where('business_id', businessId).orderBy('as_of', 'desc').first('as_of', 'metrics');
  return row ?? null;
}

/** Snapshots in a range, oldest first. */
export async function history(db: Db, businessId: string, from?: string, to?: string): Promise<Snapshot[]> {
  const q = db('metric_snapshots').where('business_id', businessId).orderBy('as_of');
  if (from) q.where('as_of', '>=', from);
  if (to) q.where('as_of', '<=', to);
  return q.select('as_of', 'metrics');
}

/** The history as chart columns: dates and one series per metric. */
export function chartOf(history: Snapshot[]): { labels: string[]; series: Record<string, (number | null)[]> } {
  const series: Record<string, (number | null)[]> = {};
  for (const key of Object.keys(METRIC_LABELS)) series[key] = history.map((h) => (h.metrics as unknown as Record<string, number | null>)[key] ?? null);
  return { labels: history.map((h) => h.as_of), series };
}

/**
 * What the metrics page shows: every snapshot, the newest, the chart columns, the newest
 * runway's label (it says when runway comes from the forecast), and the subscription
 * figures of the last twelve months through `today` (empty without subscriptions).
 */
export async function page(db: Db, businessId: string, today: string) {
  const [all, months] = await Promise.all([history(db, businessId), subscriptions.lastTwelveMonths(db, businessId, today)]);
  const latestSnapshot = all[all.length - 1] ?? null;
  const runwayLabel = latestSnapshot?.metrics.runway_basis === 'forecast' ? RUNWAY_FORECAST_LABEL : METRIC_LABELS.runway_months.label;
  return { history: all, latest: latestSnapshot, chart: chartOf(all), labels: METRIC_LABELS, runwayLabel, subscriptions: subscriptions.view(months) };
}

/** The newest snapshot; when there is none yet, computes and stores today's (`now` from the caller's clock). Null without ledger rows. */
export async function current(db: Db, businessId: string, today: string, now: Date): Promise<Snapshot | null> {
  const found = await latest(db, businessId);
  if (found) return found;
  const m = await snapshotMetrics(db, businessId, today, now);
  return m ? { as_of: today, metrics: m } : null;
}

/** How old today's snapshot may be before a reader computes it again: the compute-metrics job runs hourly. */
export const FRESH_FOR_MS = 60 * 60 * 1000;

/**
 * Today's snapshot (`today` and `now` from the caller's clock) when it was computed
 * within FRESH_FOR_MS, as the metrics page shows it; otherwise computes today's,
 * stores it (so the page shows the same figures from then on) and returns it.
 * Null when the business has no ledger rows.
 */
export async function fresh(db: Db, businessId: string, today: string, now: Date): Promise<(Snapshot & { computed_at: Date }) | null> {
  const row = await db('metric_snapshots').where({ business_id: businessId, as_of: today }).first('as_of', 'metrics', 'computed_at');
  if (row && now.getTime() - new Date(row.computed_at).getTime() <= FRESH_FOR_MS) return row;
  const m = await snapshotMetrics(db, businessId, today, now);
  return m ? { as_of: today, metrics: m, computed_at: now } : null;
}

import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import { scoreReadiness, type Readiness, type ReadinessInputs } from './formula.ts';
import * as metrics from '../reports/metrics.ts';
import type { Metrics } from '../reports/metrics.ts';
import * as recommendations from './recommendations.ts';
import { recommend } from './recommendation-rules.ts';
import { ledgerSignals } from './signals.ts';

export type StoredScore = Readiness & { as_of: string; computed_at: Date; inputs: ReadinessInputs };

/** Scores the inputs and stores the result as the business's score for that day (replacing an earlier one). */
export async function record(db: Db, clock: Clock, businessId: string, asOf: string, inputs: ReadinessInputs): Promise<Readiness> {
  const result = scoreReadiness(inputs);
  await db('readiness_scores')
    .insert({
      business_id: businessId,
      as_of: asOf,
      score: result.score,
      tier: result.tier,
      components: JSON.stringify(result.components),
      inputs: JSON.stringify(inputs),
      computed_at: clock.now(),
    })
    .onConflict(['business_id', 'as_of'])
    .merge(['score', 'tier', 'components', 'inputs', 'computed_at']);
  return result;
}

/** The latest stored score, or null before the first computation. */
export async function latest(db: Db, businessId: string): Promise<StoredScore | null> {
  const row = await db('readiness_scores').where({ business_id: businessId }).orderBy('as_of', 'desc').first();
  return row ?? null;
}

/** Stored scores, oldest first, for the history chart. */
export async function history(db: Db, businessId: string, limit = 365): Promise<{ as_of: string; score: number; tier: string }[]> {
  const rows = await db('readiness_scores').where({ business_id: businessId }).orderBy('as_of', 'desc').limit(limit).select('as_of', 'score', 'tier');
  return rows.reverse();
}

/**
 * The readiness inputs from a metric snapshot, so every figure on the readiness page
 * is the one the metrics page shows. Growth is year on year, or month on month when
 * there is less than a year to compare with.
 */
export function inputsFrom(m: Metrics, currency: string, topCustomerShare: number | null): ReadinessInputs {
  return {
    monthly_revenue: m.revenue_total > 0 ? m.revenue_total : null,
    currency,
    revenue_growth: m.revenue_growth_yoy ?? m.revenue_growth_mom,
    revenue_volatility: m.revenue_volatility,
    refund_rate: m.refund_rate,
    chargeback_ratio: m.chargeback_ratio,
    payout_reliability: m.payout_reliability,
    gross_margin: m.gross_margin,
    runway_months: m.runway_months,
    months_of_history: m.months_of_history,
    top_customer_share: topCustomerShare,
  };
}

/**
 * Scores a business from its metrics of `asOf` (taken afresh, unless the caller has just
 * stored that day's snapshot: `snapshotIsFresh`) and,
 * unless `withRecommendations` is false, brings its recommendations up to date.
 * Returns null when the business has no ledger rows yet.
 */
export async function refresh(db: Db, clock: Clock, businessId: string, asOf: string, opts: { withRecommendations?: boolean; snapshotIsFresh?: boolean } = {}): Promise<Readiness | null> {
  const stored = opts.snapshotIsFresh ? (await db('metric_snapshots').where({ business_id: businessId, as_of: asOf }).first('metrics'))?.metrics : null;
  const snapshot: Metrics | null = stored ?? (await metrics.snapshotMetrics(db, businessId, asOf, clock.now()));
  if (!snapshot) return null;
  const business = await db('businesses').where({ id: businessId }).first('currency');
  const signals = await ledgerSignals(db, businessId, asOf);
  const inputs = inputsFrom(snapshot, business.currency, signals.top_customer_share);
  const result = await record(db, clock, businessId, asOf, inputs);
  if (opts.withRecommendations !== false) await recommendations.sync(db, clock, businessId, recommend({ ...inputs, ...signals }));
  return result;
}

/** Refreshes every business with data; what the jobs call after metrics. */
export async function refreshAll(db: Db, clock: Clock, asOf: string, opts: { withRecommendations?: boolean; snapshotIsFresh?: boolean } = {}): Promise<{ scored: number }> {
  const ids: string[] = await db('businesses').pluck('id');
  let scored = 0;
  for (const id of ids) if (await refresh(db, clock, id, asOf, opts)) scored++;
  return { scored };
}

/** A score for every stored metric snapshot, so a new business's history starts full (used after the demo seed). */
export async function backfill(db: Db, clock: Clock, businessId: string): Promise<number> {
  const days: string[] = await db('metric_snapshots').where({ business_id: businessId }).orderBy('as_of').pluck('as_of');
  for (const [i, day] of days.entries()) await refresh(db, clock, businessId, day, { withRecommendations: i === days.length - 1, snapshotIsFresh: true });
  return days.length;
}

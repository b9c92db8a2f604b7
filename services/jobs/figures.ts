import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import { isoDate } from '../core/clock.ts';
import * as metrics from '../reports/metrics.ts';
import * as readiness from '../readiness/scores.ts';
import * as forecasting from '../reports/forecast/forecast.ts';
import { STORED_HORIZON_DAYS } from '../reports/forecast/forecast.ts';

/**
 * Figures that refresh themselves. Every change to what a business's stored figures are
 * computed from moves its input version (data_versions, kept by the database's triggers);
 * a worker's idle check enqueues one refresh per business whose figures are behind, a
 * couple of seconds later so a burst of edits costs one refresh. The refresh records the
 * input version it read before computing, so a change made meanwhile is caught next time.
 */
export const REFRESH_JOB = 'refresh-figures';
export const DEBOUNCE_MS = 1500;
/** A business whose refresh failed for good is left alone this long before it is tried again. */
const FAILED_PAUSE_MINUTES = 10;

/** Enqueues a refresh for every business whose figures are behind its data; returns how many. */
export async function enqueueStale(db: Db, now: Date): Promise<number> {
  const result = await db.raw(
    `insert into job_queue (name, payload, singleton_key, run_after, trigger, created_at)
     select ?, jsonb_build_object('businessId', v.business_id), v.business_id::text, ?, 'event', ?
     from data_versions v left join figure_states f on f.business_id = v.business_id
     where f.input_version is distinct from v.input_version
       and not exists (select 1 from job_queue q where q.name = ? and q.singleton_key = v.business_id::text
         and (q.state in ('queued', 'running') or (q.state = 'failed' and q.finished_at > ?)))
     on conflict do nothing`,
    [REFRESH_JOB, new Date(now.getTime() + DEBOUNCE_MS), now, REFRESH_JOB, new Date(now.getTime() - FAILED_PAUSE_MINUTES * 60_000)],
  );
  return result.rowCount ?? result.affectedRows ?? 0;
}

/** The input version a business's data is at (0 before its first row). */
async function inputVersion(db: Db, businessId: string): Promise<number> {
  const row = await db('data_versions').where({ business_id: businessId }).first('input_version');
  return Number(row?.input_version ?? 0);
}

/**
 * Recomputes a business's stored figures: the metric snapshots (month ends and today,
 * since an import can reach back in time), today's readiness score with its
 * recommendations, and the stored forecast.
 */
export async function refresh(db: Db, clock: Clock, businessId: string) {
  const version = await inputVersion(db, businessId);
  const now = clock.now();
  const asOf = isoDate(now);
  const snapshots = await metrics.backfillMonthly(db, businessId, asOf, now);
  const score = snapshots ? await readiness.refresh(db, clock, businessId, asOf, { withRecommendations: true, snapshotIsFresh: true }) : null;
  const forecast = snapshots ? await forecasting.snapshotForecast(db, businessId, asOf, STORED_HORIZON_DAYS, now) : null;
  await db('figure_states').insert({ business_id: businessId, input_version: version, refreshed_at: now }).onConflict('business_id').merge(['input_version', 'refreshed_at']);
  return { snapshots, score: score?.score ?? null, forecast: Boolean(forecast), input_version: version };
}

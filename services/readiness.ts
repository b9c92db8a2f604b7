import type { Db } from './core/db.ts';
import type { Clock } from './core/clock.ts';
import { scoreReadiness, type Readiness, type ReadinessInputs } from './readiness-formula.ts';

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

import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import { NotFound } from '../core/errors.ts';
import type { Candidate } from './recommendation-rules.ts';
import { isUuid } from '../core/ids.ts';

export const LIVE = ['open', 'accepted', 'dismissed'] as const;
export const USER_STATUSES = ['accepted', 'dismissed', 'done'] as const;
const PRIORITY_ORDER = `case priority when 'high' then 0 when 'medium' then 1 else 2 end`;

/** A candidate the rules produced, as stored: with its id, the user's status and its times. */
export type Recommendation = Omit<Candidate, 'figures'> & {
  id: string;
  figures: Record<string, unknown>;
  status: string;
  created_at: Date;
  updated_at: Date;
};

/**
 * Brings the stored recommendations in line with today's candidates, in one
 * transaction: a candidate with a live row updates it (keeping the user's status,
 * so a dismissed one stays dismissed); a new one is inserted open; a live row whose
 * condition has cleared is resolved. Running it twice changes nothing the second time.
 */
export async function sync(db: Db, clock: Clock, businessId: string, candidates: Candidate[]) {
  return db.transaction(async (trx) => {
    const now = clock.now();
    const live: Recommendation[] = await trx('recommendations').where({ business_id: businessId }).whereIn('status', LIVE);
    const key = (r: { rule: string; subject: string }) => `${r.rule}\u0000${r.subject}`;
    const byKey = new Map(live.map((r) => [key(r), r]));
    let created = 0;
    let resolved = 0;
    for (const c of candidates) {
      const existing = byKey.get(key(c));
      const fields = { priority: c.priority, title: c.title, why: c.why, action: c.action, figures: JSON.stringify(c.figures) };
      if (existing) {
        byKey.delete(key(c));
        await trx('recommendations')
          .where({ id: existing.id })
          .update({ ...fields, updated_at: now });
      } else {
        await trx('recommendations').insert({ ...fields, business_id: businessId, rule: c.rule, subject: c.subject, status: 'open', created_at: now, updated_at: now });
        created++;
      }
    }
    const cleared = [...byKey.values()].map((r) => r.id);
    if (cleared.length) {
      resolved = await trx('recommendations').whereIn('id', cleared).where({ business_id: businessId }).update({ status: 'resolved', resolved_at: now, updated_at: now });
    }
    return { created, resolved, live: candidates.length };
  });
}

export const listFilter = z.object({
  status: z.enum(['open', 'accepted', 'dismissed', 'done', 'resolved', 'all']).default('open'),
  priority: z.enum(['high', 'medium', 'low', 'all']).default('all'),
});
export type ListFilter = z.infer<typeof listFilter>;

/** Recommendations by status and priority, most urgent first. */
export async function list(db: Db, businessId: string, filter: ListFilter): Promise<Recommendation[]> {
  const q = db('recommendations').where({ business_id: businessId });
  if (filter.status !== 'all') q.where({ status: filter.status });
  if (filter.priority !== 'all') q.where({ priority: filter.priority });
  return q.orderByRaw(`${PRIORITY_ORDER}, created_at desc`).select('*');
}

export async function counts(db: Db, businessId: string): Promise<Record<string, number>> {
  const rows = await db('recommendations').where({ business_id: businessId }).groupBy('status').select('status', db.raw('count(*)::int as n'));
  return Object.fromEntries(rows.map((r: { status: string; n: number }) => [r.status, r.n]));
}

export const statusInput = z.object({ status: z.enum(USER_STATUSES, { error: 'Choose accepted, dismissed or done' }) });

/** Sets the user's decision on a recommendation of this business; NotFound for any other id. */
export async function setStatus(db: Db, clock: Clock, businessId: string, id: string, status: (typeof USER_STATUSES)[number], userId: string): Promise<Recommendation> {
  if (!isUuid(id)) throw new NotFound('No such recommendation.');
  const [row] = await db('recommendations')
    .where({ id, business_id: businessId })
    .whereNot({ status: 'resolved' })
    .update({ status, status_changed_by: userId, updated_at: clock.now() })
    .returning('*');
  if (!row) throw new NotFound('No such recommendation.');
  return row;
}

import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Role } from '../access/businesses.ts';

export const FREQUENCIES = ['daily', 'weekly', 'off'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
export type PeriodKind = Exclude<Frequency, 'off'>;

export const FREQUENCY_LABELS: Record<Frequency, string> = {
  daily: 'Every morning (yesterday’s figures)',
  weekly: 'Every Monday (last week’s figures)',
  off: 'Off: no digest',
};

export const preferenceInput = z.object({ frequency: z.enum(FREQUENCIES, { error: 'Choose daily, weekly or off' }) });

/** Owners get the weekly digest until they say otherwise; other members only when they ask for it. */
export function defaultFrequency(role: Role): Frequency {
  return role === 'owner' ? 'weekly' : 'off';
}

// The effective frequency in SQL, the same rule as defaultFrequency.
const EFFECTIVE = `coalesce(p.frequency, case when m.role = 'owner' then 'weekly' else 'off' end)`;

export type Preference = { businessId: string; businessName: string; role: Role; frequency: Frequency; isDefault: boolean; email: string };

/** A member's preference for a business's digest; null when the user is not a member of it. */
export async function preferenceOf(db: Db, businessId: string, userId: string): Promise<Preference | null> {
  const row = await db('memberships as m')
    .join('businesses as b', 'b.id', 'm.business_id')
    .join('users as u', 'u.id', 'm.user_id')
    .leftJoin('digest_preferences as p', function () {
      this.on('p.business_id', 'm.business_id').andOn('p.user_id', 'm.user_id');
    })
    .where({ 'm.business_id': businessId, 'm.user_id': userId })
    .first('m.business_id', 'b.name', 'm.role', 'u.email', db.raw(`${EFFECTIVE} as frequency`), db.raw('p.frequency is null as is_default'));
  return row ? { businessId: row.business_id, businessName: row.name, role: row.role, frequency: row.frequency, isDefault: row.is_default, email: row.email } : null;
}

/** A user's preference for every business they belong to, by business name. */
export async function preferencesOfUser(db: Db, userId: string): Promise<Preference[]> {
  const rows = await db('memberships as m')
    .join('businesses as b', 'b.id', 'm.business_id')
    .join('users as u', 'u.id', 'm.user_id')
    .leftJoin('digest_preferences as p', function () {
      this.on('p.business_id', 'm.business_id').andOn('p.user_id', 'm.user_id');
    })
    .where('m.user_id', userId)
    .orderByRaw('lower(b.name), b.id')
    .select('m.business_id', 'b.name', 'm.role', 'u.email', db.raw(`${EFFECTIVE} as frequency`), db.raw('p.frequency is null as is_default'));
  return rows.map((row) => ({ businessId: row.business_id, businessName: row.name, role: row.role, frequency: row.frequency, isDefault: row.is_default, email: row.email }));
}

/**
 * Sets a member's preference for a business. Returns false (and changes nothing) when
 * the user is not a member: the row belongs to the membership and goes with it.
 */
export async function setPreference(db: Db, clock: Clock, businessId: string, userId: string, frequency: Frequency): Promise<boolean> {
  const inserted = await db.raw(
    `insert into digest_preferences (business_id, user_id, frequency, updated_at)
     select m.business_id, m.user_id, ?, ? from memberships m where m.business_id = ? and m.user_id = ?
     on conflict (business_id, user_id) do update set frequency = excluded.frequency, updated_at = excluded.updated_at
     returning business_id`,
    [frequency, clock.now(), businessId, userId],
  );
  return inserted.rows.length > 0;
}

export type DigestRecipient = { userId: string; businessId: string; email: string; name: string; role: Role };

/** Everyone who wants a business's digest of this kind now, by business. */
export async function recipients(db: Db, kind: PeriodKind, onlyBusinessId?: string): Promise<DigestRecipient[]> {
  const q = db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .leftJoin('digest_preferences as p', function () {
      this.on('p.business_id', 'm.business_id').andOn('p.user_id', 'm.user_id');
    })
    .whereRaw(`${EFFECTIVE} = ?`, [kind])
    .orderBy(['m.business_id', 'm.user_id'])
    .select('m.user_id as userId', 'm.business_id as businessId', 'u.email', 'u.name', 'm.role');
  if (onlyBusinessId) q.where('m.business_id', onlyBusinessId);
  return q;
}

import type { Db } from './core/db.ts';

/** Deletes sessions whose expiry has passed; returns how many. */
export async function purgeExpired(db: Db, now: Date): Promise<number> {
  return db('sessions').where('expired', '<', now).delete();
}

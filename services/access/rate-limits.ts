import type { Db } from '../core/db.ts';
import { RateLimited } from '../core/errors.ts';

/**
 * Fixed-window counters in the `rate_limits` table, so every pm2 instance and host
 * shares one count. Written here rather than with rate-limiter-flexible because its
 * windows follow Date.now(): the app's injected clock drives these, so tests move
 * time instead of sleeping, and the one upsert below is the whole algorithm.
 */
export type Limit = { key: string; points: number; windowSeconds: number };

/**
 * Counts one attempt against each limit (atomically, in one statement each) and
 * throws RateLimited, with the seconds until the longest blocked window ends, when
 * any count is now over its allowance. Attempts over the limit still count.
 */
export async function consume(db: Db, now: Date, limits: Limit[]): Promise<void> {
  let retryAfter = 0;
  for (const limit of limits) {
    const resetsAt = new Date(now.getTime() + limit.windowSeconds * 1000);
    const { rows } = await db.raw(
      `insert into rate_limits (key, points, resets_at) values (?, 1, ?)
       on conflict (key) do update set
         points = case when rate_limits.resets_at <= ? then 1 else rate_limits.points + 1 end,
         resets_at = case when rate_limits.resets_at <= ? then excluded.resets_at else rate_limits.resets_at end
       returning points, resets_at`,
      [limit.key, resetsAt, now, now],
    );
    const row = rows[0] as { points: number; resets_at: Date | string };
    if (row.points > limit.points) {
      const seconds = Math.ceil((new Date(row.resets_at).getTime() - now.getTime()) / 1000);
      retryAfter = Math.max(retryAfter, seconds, 1);
    }
  }
  if (retryAfter > 0) {
    const minutes = Math.ceil(retryAfter / 60);
    throw new RateLimited(retryAfter, `Too many attempts. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`);
  }
}

/** Forgets a counter, e.g. an account's failed sign-ins once the right password is given. */
export async function clear(db: Db, key: string): Promise<void> {
  await db('rate_limits').where({ key }).delete();
}

/** Deletes counters whose window has ended; returns how many. */
export async function purgeExpired(db: Db, now: Date): Promise<number> {
  return db('rate_limits').where('resets_at', '<=', now).delete();
}

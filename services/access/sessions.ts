import type { Db } from '../core/db.ts';
import { hashToken } from '../core/crypto.ts';
import { USER_WITH_BUSINESSES, type UserWithBusinesses } from './users.ts';

/**
 * A live session's data and its signed-in user with their businesses (null when the
 * session has no user, or the user is gone), in one round trip: every signed-in page
 * needs both. Null when there is no such session or it has expired. A named (prepared)
 * statement on PostgreSQL, so the server plans it once per connection, not per request.
 */
export async function readWithUser(db: Db, sid: string, now: Date): Promise<{ sess: Record<string, unknown>; user: UserWithBusinesses | null } | null> {
  const { rows } = await db
    .raw(
      `select s.sess, usr.* from sessions s
     left join lateral (select ${USER_WITH_BUSINESSES} from users u where u.id = (s.sess->>'userId')::uuid) usr on true
     where s.sid = ? and s.expired > ?`,
      [sid, now],
    )
    .options({ name: 'session-with-user' });
  if (!rows.length) return null;
  const { sess, ...user } = rows[0];
  return { sess: sessData(sess), user: user.id ? user : null };
}

/** Deletes sessions whose expiry has passed; returns how many. */
export async function purgeExpired(db: Db, now: Date): Promise<number> {
  return db('sessions').where('expired', '<', now).delete();
}

/** What the sessions page shows of one session; `handle` names it without revealing the cookie's id. */
export type SessionSummary = { handle: string; userAgent: string | null; signedInAt: Date | null; expiresAt: Date; isCurrent: boolean };

function sessData(raw: unknown): Record<string, unknown> {
  return (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
}

/** A session id is the cookie's secret: pages and forms use a hash prefix instead. */
export function handleOf(sid: string): string {
  return hashToken(sid).slice(0, 20);
}

/** The user's sessions that have not expired, newest first, marking the one making the request. */
export async function listForUser(db: Db, userId: string, now: Date, currentSid: string): Promise<SessionSummary[]> {
  const rows = await db('sessions').whereRaw(`sess->>'userId' = ?`, [userId]).where('expired', '>', now).select('sid', 'sess', 'expired');
  return rows
    .map((r) => {
      const sess = sessData(r.sess);
      return {
        handle: handleOf(r.sid),
        userAgent: typeof sess.userAgent === 'string' ? sess.userAgent : null,
        signedInAt: typeof sess.signedInAt === 'number' ? new Date(sess.signedInAt) : null,
        expiresAt: new Date(r.expired),
        isCurrent: r.sid === currentSid,
      };
    })
    .sort((a, b) => (b.signedInAt?.getTime() ?? 0) - (a.signedInAt?.getTime() ?? 0));
}

/** Ends one of the user's sessions by its handle; false when the user has no such session. */
export async function endByHandle(db: Db, userId: string, handle: string): Promise<boolean> {
  const rows = await db('sessions').whereRaw(`sess->>'userId' = ?`, [userId]).select('sid');
  const match = rows.find((r) => handleOf(r.sid) === handle);
  if (!match) return false;
  await db('sessions').where({ sid: match.sid }).delete();
  return true;
}

/** Ends every session of the user (a password reset signs them out everywhere); returns how many. */
export async function endAllForUser(db: Db, userId: string): Promise<number> {
  return db('sessions').whereRaw(`sess->>'userId' = ?`, [userId]).delete();
}

/** Ends the user's sessions other than the one given (after a password change); returns how many. */
export async function endOthers(db: Db, userId: string, keepSid: string): Promise<number> {
  return db('sessions').whereRaw(`sess->>'userId' = ?`, [userId]).whereNot({ sid: keepSid }).delete();
}

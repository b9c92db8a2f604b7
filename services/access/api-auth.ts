import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Db } from '../core/db.ts';
import { hashToken, randomToken } from '../core/crypto.ts';
import { Unauthorized } from '../core/errors.ts';

/** An access token lives 30 minutes; a refresh token 7 days, and is replaced on every use. */
export const ACCESS_SECONDS = 30 * 60;
export const REFRESH_DAYS = 7;
const ISSUER = 'bursar';
const AUDIENCE = 'bursar-api';

export type TokenPair = { token: string; refresh_token: string; token_type: 'Bearer'; expires_in: number };

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** A signed HS256 access token for the user, valid ACCESS_SECONDS from `now`. */
export async function accessToken(secret: string, now: Date, userId: string): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_SECONDS)
    .sign(keyOf(secret));
}

/** The user id an access token names, or null when it is forged, expired, never expires, or not ours. */
export async function verifyAccessToken(secret: string, now: Date, token: string): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: now, requiredClaims: ['exp', 'iat', 'sub'] });
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    // A bad token is the caller's problem (a 401), not an error of ours to log.
    return null;
  }
}

async function newRefreshToken(db: Db, now: Date, userId: string, familyId: string): Promise<string> {
  const token = randomToken(32);
  await db('refresh_tokens').insert({
    user_id: userId,
    family_id: familyId,
    token_hash: hashToken(token),
    expires_at: new Date(now.getTime() + REFRESH_DAYS * 86_400_000),
  });
  return token;
}

/** A new access token and a refresh token starting a new family (one per sign-in). */
export async function issue(db: Db, secret: string, now: Date, userId: string): Promise<TokenPair> {
  const refresh_token = await newRefreshToken(db, now, userId, randomUUID());
  return { token: await accessToken(secret, now, userId), refresh_token, token_type: 'Bearer', expires_in: ACCESS_SECONDS };
}

/**
 * Trades a refresh token for a new pair, retiring the old one. A retired token seen
 * again means two parties hold it (one stole it): the whole family is revoked, so
 * the thief and the owner both sign in again. Throws Unauthorized on any refusal.
 */
export async function refresh(db: Db, secret: string, now: Date, token: string): Promise<TokenPair> {
  const outcome = await db.transaction(async (trx) => {
    const row = await trx('refresh_tokens')
      .where({ token_hash: hashToken(token) })
      .forUpdate()
      .first();
    if (!row || row.revoked_at || new Date(row.expires_at) <= now) return { ok: false as const };
    if (row.rotated_at) {
      await trx('refresh_tokens').where({ family_id: row.family_id }).whereNull('revoked_at').update({ revoked_at: now });
      return { ok: false as const };
    }
    await trx('refresh_tokens').where({ id: row.id }).update({ rotated_at: now });
    const refresh_token = await newRefreshToken(trx, now, row.user_id, row.family_id);
    return { ok: true as const, userId: row.user_id as string, refresh_token };
  });
  // Thrown after the transaction commits, so a reuse's family revocation is kept.
  if (!outcome.ok) throw new Unauthorized('The refresh token is invalid, expired or revoked. Sign in again.');
  return { token: await accessToken(secret, now, outcome.userId), refresh_token: outcome.refresh_token, token_type: 'Bearer', expires_in: ACCESS_SECONDS };
}

/** Signs out an API client: revokes the refresh token's whole family. Unknown tokens are ignored. */
export async function revoke(db: Db, now: Date, token: string): Promise<void> {
  const row = await db('refresh_tokens')
    .where({ token_hash: hashToken(token) })
    .first('family_id');
  if (!row) return;
  await db('refresh_tokens').where({ family_id: row.family_id }).whereNull('revoked_at').update({ revoked_at: now });
}

/** Revokes every API refresh token of the user (their password changed: whoever knew the old one may hold one). */
export async function revokeAllForUser(db: Db, now: Date, userId: string): Promise<void> {
  await db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
}

import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { hashToken, randomToken } from '../core/crypto.ts';
import { NotFound } from '../core/errors.ts';

/**
 * Personal API tokens for scripts and MCP clients. The prefix lets the API tell them
 * from access JWTs at a glance (and secret scanners find leaked ones).
 */
export const PREFIX = 'bsr_pat_';
export const SCOPES = ['read', 'write'] as const;
export type Scope = (typeof SCOPES)[number];

export const tokenInput = z.object({
  name: z.string({ error: 'Name the token' }).trim().min(1, 'Name the token').max(80, 'Keep it under 80 characters'),
  scope: z.enum(SCOPES, { error: 'Choose read or write' }),
});

export type ApiToken = { id: string; name: string; scope: Scope; last_used_at: Date | null; created_at: Date };

/** Creates a token and returns its secret, which is shown this once and stored only as a hash. */
export async function create(db: Db, userId: string, input: z.output<typeof tokenInput>): Promise<{ token: string; row: ApiToken }> {
  const token = `${PREFIX}${randomToken(32)}`;
  const [row] = await db('api_tokens')
    .insert({ user_id: userId, name: input.name, scope: input.scope, token_hash: hashToken(token) })
    .returning(['id', 'name', 'scope', 'last_used_at', 'created_at']);
  return { token, row };
}

/** The user's tokens that still work, newest first. */
export async function listForUser(db: Db, userId: string): Promise<ApiToken[]> {
  return db('api_tokens').where({ user_id: userId }).whereNull('revoked_at').orderBy('created_at', 'desc').select('id', 'name', 'scope', 'last_used_at', 'created_at');
}

/** Revokes one of the user's tokens; NotFound when they have no such live token. */
export async function revoke(db: Db, userId: string, tokenId: string, now: Date): Promise<void> {
  const n = await db('api_tokens').where({ id: tokenId, user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
  if (!n) throw new NotFound('That token is already revoked.');
}

/** The owner and scope of a live token, recording its use; null for an unknown or revoked one. */
export async function authenticate(db: Db, now: Date, token: string): Promise<{ userId: string; scope: Scope } | null> {
  const [row] = await db('api_tokens')
    .where({ token_hash: hashToken(token) })
    .whereNull('revoked_at')
    .update({ last_used_at: now })
    .returning(['user_id', 'scope']);
  return row ? { userId: row.user_id, scope: row.scope } : null;
}

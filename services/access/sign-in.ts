import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { hashToken, randomToken } from '../core/crypto.ts';
import { sendMail } from '../core/mailer.ts';
import * as rateLimits from './rate-limits.ts';
import * as sessions from './sessions.ts';
import * as apiAuth from './api-auth.ts';
import { authenticate, hashPassword, type User } from './users.ts';

/** Magic links and reset links live this long, and work once. */
export const LINK_MINUTES = 15;

type Purpose = 'magic_link' | 'password_reset';

export type MailDeps = { config: Pick<Config, 'sendgrid' | 'mailFrom' | 'appUrl' | 'rateLimits'>; logger: Logger };

export const emailInput = z.object({
  email: z.email('Enter a valid email address').trim().toLowerCase().max(254),
});

export const newPasswordInput = z.object({
  token: z.string().min(1),
  password: z.string().min(10, 'Use at least 10 characters').max(200, 'Use at most 200 characters'),
});

const normalise = (email: string) => email.trim().toLowerCase();

/**
 * A password sign-in, rate limited per account and per IP address. Returns the user,
 * or null when the email and password do not match; throws RateLimited when either
 * counter is over its allowance. A right password clears the account's counter.
 */
export async function withPassword(db: Db, limits: Config['rateLimits'], now: Date, input: { email: string; password: string; ip: string }): Promise<User | null> {
  const accountKey = `login:account:${normalise(input.email)}`;
  await rateLimits.consume(db, now, [
    { key: accountKey, points: limits.loginPerAccount, windowSeconds: limits.windowSeconds },
    { key: `login:ip:${input.ip}`, points: limits.loginPerIp, windowSeconds: limits.windowSeconds },
  ]);
  const user = await authenticate(db, input.email, input.password);
  if (user) await rateLimits.clear(db, accountKey);
  return user;
}

/**
 * Mails a single-use link to the account with this email, if there is one. Returns
 * nothing either way, so the page cannot tell who has an account; throws
 * RateLimited when this email or IP address asked too often.
 */
async function mailLink(db: Db, deps: MailDeps, now: Date, purpose: Purpose, input: { email: string; ip: string }): Promise<void> {
  const email = normalise(input.email);
  const { rateLimits: limits } = deps.config;
  await rateLimits.consume(db, now, [
    { key: `email:account:${email}`, points: limits.emailPerAccount, windowSeconds: limits.windowSeconds },
    { key: `email:ip:${input.ip}`, points: limits.emailPerIp, windowSeconds: limits.windowSeconds },
  ]);
  const user = await db('users').whereRaw('lower(email) = ?', [email]).first('id', 'email', 'name');
  if (!user) return;
  // 32 bytes: 256 bits of randomness, of which only the hash is stored.
  const token = randomToken(32);
  await db('email_tokens').insert({
    user_id: user.id,
    purpose,
    token_hash: hashToken(token),
    expires_at: new Date(now.getTime() + LINK_MINUTES * 60_000),
  });
  const isMagic = purpose === 'magic_link';
  const url = new URL(isMagic ? '/login/magic' : '/password-reset/new', deps.config.appUrl);
  url.searchParams.set('token', token);
  await sendMail(db, deps.config, deps.logger, {
    to: user.email,
    subject: isMagic ? 'Your Bursar sign-in link' : 'Reset your Bursar password',
    template: isMagic ? 'magic-link' : 'password-reset',
    data: { name: user.name, url: url.toString(), minutes: LINK_MINUTES },
  });
}

export function requestMagicLink(db: Db, deps: MailDeps, now: Date, input: { email: string; ip: string }): Promise<void> {
  return mailLink(db, deps, now, 'magic_link', input);
}

export function requestPasswordReset(db: Db, deps: MailDeps, now: Date, input: { email: string; ip: string }): Promise<void> {
  return mailLink(db, deps, now, 'password_reset', input);
}

/** Marks the token used, in the same statement that checks it, so a race cannot use it twice. */
async function useToken(db: Db, now: Date, purpose: Purpose, token: string): Promise<string | null> {
  const [row] = await db('email_tokens')
    .where({ token_hash: hashToken(token), purpose })
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .update({ used_at: now })
    .returning('user_id');
  return row?.user_id ?? null;
}

/** The user a magic link signs in, or null when it is unknown, used or expired. */
export async function withMagicLink(db: Db, now: Date, token: string): Promise<User | null> {
  const userId = await useToken(db, now, 'magic_link', token);
  if (!userId) return null;
  // Following the link proves the address is theirs.
  const [user] = await db('users')
    .where({ id: userId })
    .update({ email_verified_at: db.raw('coalesce(email_verified_at, ?)', [now]) })
    .returning(['id', 'email', 'name', 'created_at']);
  return user;
}

/** True while a reset token can still be used (to show the form, or say the link is dead). */
export async function isResetTokenUsable(db: Db, now: Date, token: string): Promise<boolean> {
  const row = await db('email_tokens')
    .where({ token_hash: hashToken(token), purpose: 'password_reset' })
    .whereNull('used_at')
    .where('expires_at', '>', now)
    .first('id');
  return Boolean(row);
}

/**
 * Sets a new password with a reset token and ends every session and API refresh
 * token of the user, since whoever knew the old password may hold one. Returns
 * the user, or null when the token is unknown, used or expired.
 */
export async function resetPassword(db: Db, now: Date, token: string, password: string): Promise<User | null> {
  const password_hash = await hashPassword(password);
  return db.transaction(async (trx) => {
    const userId = await useToken(trx, now, 'password_reset', token);
    if (!userId) return null;
    const [user] = await trx('users').where({ id: userId }).update({ password_hash, updated_at: now }).returning(['id', 'email', 'name', 'created_at']);
    await sessions.endAllForUser(trx, userId);
    await apiAuth.revokeAllForUser(trx, now, userId);
    return user;
  });
}

/** Deletes sign-in and reset tokens past their expiry (used or not, none can sign anyone in); returns how many. */
export async function purgeExpiredTokens(db: Db, now: Date): Promise<number> {
  return db('email_tokens').where('expires_at', '<', now).del();
}

import argon2 from 'argon2';
import { z } from 'zod';
import type { Db } from '../core/db.ts';
import { Validation } from '../core/errors.ts';
import * as sessions from './sessions.ts';
import * as apiAuth from './api-auth.ts';
import type { Business, Role } from './businesses.ts';

/** argon2id at OWASP's minimum: 19 MiB memory, 2 passes, 1 lane. */
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export type User = { id: string; email: string; name: string; created_at: Date };
/** The signed-in user with every business they belong to (whole rows, so a business page needs no second read). */
export type UserWithBusinesses = User & { businesses: (Business & { role: Role; data_version: number })[] };

export const signupInput = z.object({
  name: z.string().trim().min(1, 'Enter your name').max(120, 'Keep it under 120 characters'),
  email: z.email('Enter a valid email address').trim().toLowerCase().max(254),
  password: z.string().min(10, 'Use at least 10 characters').max(200, 'Use at most 200 characters'),
});
export type SignupInput = z.infer<typeof signupInput>;

export const loginInput = z.object({
  email: z.string().trim().toLowerCase().min(1, 'Enter your email address'),
  password: z.string().min(1, 'Enter your password'),
  remember_me: z.preprocess((v) => v === 'on' || v === 'true' || v === true, z.boolean()).default(false),
});

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2);
}

/** Creates a user; throws Validation on the email field when it is already registered. */
export async function createUser(db: Db, input: SignupInput): Promise<User> {
  const password_hash = await hashPassword(input.password);
  const [row] = await db('users').insert({ email: input.email, name: input.name, password_hash }).onConflict(db.raw('(lower(email))')).ignore().returning(['id', 'email', 'name', 'created_at']);
  if (!row) throw new Validation({ email: ['An account with this email already exists. Sign in instead.'] });
  return row;
}

let dummyHash: Promise<string> | undefined;

/**
 * The user whose email and password match, or null. Spends the same argon2 work
 * when the email is unknown, so timing does not reveal which accounts exist.
 */
export async function authenticate(db: Db, email: string, password: string): Promise<User | null> {
  const row = await db('users').whereRaw('lower(email) = ?', [email.trim().toLowerCase()]).first('id', 'email', 'name', 'created_at', 'password_hash');
  if (!row?.password_hash) {
    dummyHash ??= hashPassword('not-a-real-password');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return null;
  }
  const ok = await argon2.verify(row.password_hash, password);
  if (!ok) return null;
  const { password_hash: _, ...user } = row;
  return user;
}

/**
 * The columns of the signed-in user (`u`) with every business they belong to, its role and
 * its data version (what cached reports are keyed by), in one row.
 */
export const USER_WITH_BUSINESSES = `u.id, u.email, u.name, u.created_at, coalesce((
  select json_agg(json_build_object('id', b.id, 'name', b.name, 'legal_entity', b.legal_entity, 'industry', b.industry, 'currency', b.currency,
                                    'revenue_estimate', b.revenue_estimate, 'founded_on', b.founded_on, 'is_demo', b.is_demo, 'decimal_mark', b.decimal_mark, 'role', m.role,
                                    'data_version', coalesce(v.version, 0)) order by b.name, b.id)
  from memberships m join businesses b on b.id = m.business_id left join data_versions v on v.business_id = b.id
  where m.user_id = u.id), '[]') as businesses`;

/** The signed-in user with the businesses they belong to (for the header switcher), or null. */
export async function findWithBusinesses(db: Db, userId: string): Promise<UserWithBusinesses | null> {
  // One round trip on every signed-in request: the user and their memberships together.
  const { rows } = await db.raw(`select ${USER_WITH_BUSINESSES} from users u where u.id = ?`, [userId]);
  return rows[0] ?? null;
}

export const profileInput = z.object({
  name: z.string().trim().min(1, 'Enter your name').max(120, 'Keep it under 120 characters').optional(),
  avatar_url: z
    .url({ protocol: /^https?$/, error: 'Use an http(s) address' })
    .max(2000)
    .nullable()
    .optional(),
});

/** Changes the given profile fields; returns the user. */
export async function updateProfile(db: Db, userId: string, input: z.output<typeof profileInput>): Promise<User & { avatar_url: string | null }> {
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const [row] = await db('users')
    .where({ id: userId })
    .update({ ...changes, updated_at: db.fn.now() })
    .returning(['id', 'email', 'name', 'avatar_url', 'created_at']);
  return row;
}

export const passwordChangeInput = z.object({
  current_password: z.string().max(200).default(''),
  new_password: z.string().min(10, 'Use at least 10 characters').max(200, 'Use at most 200 characters'),
});

export type Profile = User & { avatar_url: string | null; google_email: string | null; has_password: boolean };

/** The profile page's view of a user, or null. */
export async function profile(db: Db, userId: string): Promise<Profile | null> {
  const row = await db('users').where({ id: userId }).first('id', 'email', 'name', 'avatar_url', 'google_email', 'created_at', 'password_hash');
  if (!row) return null;
  const { password_hash, ...rest } = row;
  return { ...rest, has_password: Boolean(password_hash) };
}

/**
 * Sets a new password and ends the user's other sessions and every API refresh token
 * (whoever knew the old one may be signed in or hold a token). The current password is required when the account has one (an
 * account made through Google has none yet); throws Validation on a wrong one.
 */
export async function changePassword(db: Db, now: Date, userId: string, input: z.output<typeof passwordChangeInput>, keepSessionId: string): Promise<void> {
  const row = await db('users').where({ id: userId }).first('password_hash');
  if (row?.password_hash && !(await argon2.verify(row.password_hash, input.current_password))) {
    throw new Validation({ current_password: ['That is not your current password.'] });
  }
  const password_hash = await hashPassword(input.new_password);
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash, updated_at: now });
    await sessions.endOthers(trx, userId, keepSessionId);
    await apiAuth.revokeAllForUser(trx, now, userId);
  });
}

import type { Db } from '../core/db.ts';
import type { User } from './users.ts';

/** What Google's userinfo endpoint says about the person (OpenID Connect claims). */
export type GoogleProfile = { sub: string; email: string | null; emailVerified: boolean; name: string | null; picture: string | null };

export type GoogleSignIn = { ok: true; user: User; created: boolean } | { ok: false; reason: 'unverified' | 'no_email' | 'linked_elsewhere' };

/** Google's userinfo JSON as passport hands it over (`email_verified` has been a string in the past). */
export function profileFromClaims(json: Record<string, unknown>): GoogleProfile {
  const verified = json.email_verified;
  return {
    sub: String(json.sub ?? ''),
    email: typeof json.email === 'string' ? json.email.trim().toLowerCase() : null,
    emailVerified: verified === true || verified === 'true',
    name: typeof json.name === 'string' && json.name.trim() ? json.name.trim() : null,
    picture: typeof json.picture === 'string' ? json.picture : null,
  };
}

/**
 * The user a Google sign-in stands for: the one already linked to this Google
 * account; else the account with the same address, linked now, when Google has
 * verified that address; else a new account. An unverified address is refused
 * before anything is linked, since anyone can put any address on a Google account.
 */
export async function signIn(db: Db, now: Date, profile: GoogleProfile): Promise<GoogleSignIn> {
  const columns = ['id', 'email', 'name', 'created_at'];
  const linked = await db('users').where({ google_sub: profile.sub }).first(columns);
  if (linked) return { ok: true, user: linked, created: false };
  if (!profile.email) return { ok: false, reason: 'no_email' };
  if (!profile.emailVerified) return { ok: false, reason: 'unverified' };
  const link = { google_sub: profile.sub, google_email: profile.email, email_verified_at: now, updated_at: now };
  const [existing] = await db('users').whereRaw('lower(email) = ?', [profile.email]).whereNull('google_sub').update(link).returning(columns);
  if (existing) return { ok: true, user: existing, created: false };
  // The address's account is linked to another Google account: never silently re-link it.
  if (await db('users').whereRaw('lower(email) = ?', [profile.email]).first('id')) return { ok: false, reason: 'linked_elsewhere' };
  const [created] = await db('users')
    .insert({ email: profile.email, name: profile.name ?? profile.email.split('@')[0], avatar_url: profile.picture, ...link })
    .returning(columns);
  return { ok: true, user: created, created: true };
}

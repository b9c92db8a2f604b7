import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { hashToken, randomToken } from '../core/crypto.ts';
import { Conflict, Forbidden, NotFound, Validation } from '../core/errors.ts';
import { sendMail } from '../core/mailer.ts';
import { ROLES, type Role } from './businesses.ts';

/** An invitation link works for a week. */
export const INVITATION_DAYS = 7;

export type Member = { user_id: string; name: string; email: string; role: Role; joined_at: Date };
export type Invitation = { id: string; email: string; role: Role; expires_at: Date; invited_by_name: string | null };
export type Actor = { id: string; name: string; role: Role };

export const inviteInput = z.object({
  email: z.email('Enter a valid email address').trim().toLowerCase().max(254),
  role: z.enum(ROLES, { error: 'Choose a role' }),
});

export const roleInput = z.object({ role: z.enum(ROLES, { error: 'Choose a role' }) });

/** The business's members, owners first. */
export async function list(db: Db, businessId: string): Promise<Member[]> {
  return db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.business_id', businessId)
    .orderByRaw(`array_position(array['owner','admin','member','viewer'], m.role), lower(u.name)`)
    .select('m.user_id', 'u.name', 'u.email', 'm.role', 'm.created_at as joined_at');
}

/** Invitations of the business that can still be accepted. */
export async function pendingInvitations(db: Db, businessId: string, now: Date): Promise<Invitation[]> {
  return db('invitations as i')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .where('i.business_id', businessId)
    .whereNull('i.accepted_at')
    .whereNull('i.revoked_at')
    .where('i.expires_at', '>', now)
    .orderBy('i.created_at', 'desc')
    .select('i.id', 'i.email', 'i.role', 'i.expires_at', 'u.name as invited_by_name');
}

/** Only an owner may hand out, take away or touch the owner role. */
function assertMayTouch(actor: Actor, ...roles: Role[]): void {
  if (actor.role !== 'owner' && roles.includes('owner')) throw new Forbidden('Only an owner can change what owners can do.');
}

/**
 * Invites someone by email and mails them a link valid for INVITATION_DAYS.
 * Throws Validation when they are already a member, Forbidden when an admin
 * tries to invite an owner.
 */
export async function invite(
  db: Db,
  deps: { config: Pick<Config, 'sendgrid' | 'mailFrom' | 'appUrl'>; logger: Logger },
  now: Date,
  business: { id: string; name: string },
  actor: Actor,
  input: z.output<typeof inviteInput>,
): Promise<void> {
  assertMayTouch(actor, input.role);
  const existing = await db('memberships as m').join('users as u', 'u.id', 'm.user_id').where('m.business_id', business.id).whereRaw('lower(u.email) = ?', [input.email]).first('m.role');
  if (existing) throw new Validation({ email: ['This person is already a member.'] });
  const token = randomToken(32);
  await db('invitations').insert({
    business_id: business.id,
    email: input.email,
    role: input.role,
    token_hash: hashToken(token),
    invited_by: actor.id,
    expires_at: new Date(now.getTime() + INVITATION_DAYS * 86_400_000),
  });
  const url = new URL('/invitation', deps.config.appUrl);
  url.searchParams.set('token', token);
  await sendMail(db, deps.config, deps.logger, {
    to: input.email,
    subject: `${actor.name} invited you to ${business.name} on Bursar`,
    template: 'invitation',
    data: { inviter: actor.name, business: business.name, role: input.role, url: url.toString(), days: INVITATION_DAYS },
  });
}

/** Withdraws a pending invitation of this business; NotFound when there is none. */
export async function revokeInvitation(db: Db, businessId: string, invitationId: string, now: Date): Promise<void> {
  const n = await db('invitations').where({ id: invitationId, business_id: businessId }).whereNull('accepted_at').whereNull('revoked_at').update({ revoked_at: now });
  if (!n) throw new NotFound('That invitation is no longer pending.');
}

/** The target's membership, locked so two owners cannot demote each other at once. */
async function lockedMembership(trx: Db, businessId: string, userId: string): Promise<Role> {
  const owners = await trx('memberships').where({ business_id: businessId }).forUpdate().select('user_id', 'role');
  const target = owners.find((m) => m.user_id === userId);
  if (!target) throw new NotFound('That person is not a member of this business.');
  return target.role;
}

async function ownerCount(trx: Db, businessId: string): Promise<number> {
  const row = await trx('memberships').where({ business_id: businessId, role: 'owner' }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Changes a member's role; throws Conflict when it would leave the business without an owner. */
export async function changeRole(db: Db, businessId: string, actor: Actor, userId: string, role: Role): Promise<void> {
  await db.transaction(async (trx) => {
    const current = await lockedMembership(trx, businessId, userId);
    assertMayTouch(actor, current, role);
    if (current === 'owner' && role !== 'owner' && (await ownerCount(trx, businessId)) <= 1) {
      throw new Conflict('A business needs at least one owner: make someone else an owner first.');
    }
    await trx('memberships').where({ business_id: businessId, user_id: userId }).update({ role });
  });
}

/** Removes a member (or, with the actor's own id, leaves); the last owner can do neither. */
export async function remove(db: Db, businessId: string, actor: Actor, userId: string): Promise<void> {
  await db.transaction(async (trx) => {
    const current = await lockedMembership(trx, businessId, userId);
    if (userId !== actor.id) assertMayTouch(actor, current);
    if (current === 'owner' && (await ownerCount(trx, businessId)) <= 1) {
      throw new Conflict('A business needs at least one owner: make someone else an owner first, or delete the business.');
    }
    await trx('memberships').where({ business_id: businessId, user_id: userId }).delete();
  });
}

export type InvitationView = { email: string; role: Role; business_id: string; business_name: string; inviter: string | null };

/** A pending invitation by its link's token, or null when unknown, used, withdrawn or expired. */
export async function findInvitation(db: Db, token: string, now: Date): Promise<InvitationView | null> {
  const row = await db('invitations as i')
    .join('businesses as b', 'b.id', 'i.business_id')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .where('i.token_hash', hashToken(token))
    .whereNull('i.accepted_at')
    .whereNull('i.revoked_at')
    .where('i.expires_at', '>', now)
    .first('i.email', 'i.role', 'i.business_id', 'b.name as business_name', 'u.name as inviter');
  return row ?? null;
}

/**
 * Makes the signed-in user a member with the invited role. The invitation is for one
 * address: another user gets Forbidden. Returns the business id; NotFound when the
 * link is no longer valid. Someone already a member keeps the higher of the two roles.
 */
export async function acceptInvitation(db: Db, token: string, user: { id: string; email: string }, now: Date): Promise<string> {
  return db.transaction(async (trx) => {
    const invitation = await trx('invitations')
      .where('token_hash', hashToken(token))
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .forUpdate()
      .first('id', 'email', 'role', 'business_id');
    if (!invitation) throw new NotFound('This invitation has expired, was withdrawn or was already used.');
    if (invitation.email.toLowerCase() !== user.email.toLowerCase()) {
      throw new Forbidden(`This invitation is for ${invitation.email}. Sign in with that address to accept it.`);
    }
    const existing = await trx('memberships').where({ business_id: invitation.business_id, user_id: user.id }).first('role');
    if (!existing) {
      await trx('memberships').insert({ business_id: invitation.business_id, user_id: user.id, role: invitation.role });
    } else if (ROLES.indexOf(invitation.role) < ROLES.indexOf(existing.role)) {
      await trx('memberships').where({ business_id: invitation.business_id, user_id: user.id }).update({ role: invitation.role });
    }
    await trx('invitations').where({ id: invitation.id }).update({ accepted_at: now });
    return invitation.business_id;
  });
}

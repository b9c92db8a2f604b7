import type { Db } from '../core/db.ts';
import { BadRequest, Forbidden, NotFound } from '../core/errors.ts';
import type { Business, Role } from './businesses.ts';
import { isUuid } from '../core/ids.ts';

/**
 * Which business a request is about, and the caller's role in it: one answer for the
 * pages (/b/:businessId), the JSON API and MCP. A user's memberships are loaded with the
 * user (session or token), so deciding costs no query; only finding the business of an
 * object addressed by its own id reads the database.
 */

type MemberBusiness = Business & { role: Role; data_version: number };
/** A user with the businesses they belong to, as loaded with the session or token. */
export type Member = { businesses: MemberBusiness[] };
export type Membership = { business: Omit<MemberBusiness, 'role'>; role: Role };

/** The user's membership of the business, or null when not a member or no such business (the two look alike). */
export function membershipOf(user: Member, businessId: string): Membership | null {
  const found = user.businesses.find((b) => b.id === businessId);
  if (!found) return null;
  const { role, ...business } = found;
  return { business, role };
}

/**
 * The business a request is about (DESIGN.md, "Business resolution"):
 * - `named` (a business_id the caller gave): they must be a member, else Forbidden,
 *   the same for a business that does not exist.
 * - `objectBusinessId` (given when the request addresses an object by its own id: the
 *   object's business, or null when there is no such object): the object must belong to
 *   one of the caller's businesses, and to the named one when both are given, else
 *   NotFound, the same answer as for an id that does not exist, so nothing leaks.
 * - neither: the caller's only business; BadRequest when they have none or several.
 */
export function resolveMembership(user: Member, given: { named?: string; objectBusinessId?: string | null }): Membership {
  const { named, objectBusinessId } = given;
  const addressesObject = objectBusinessId !== undefined;
  if (named !== undefined) {
    const membership = membershipOf(user, named);
    if (!membership) throw new Forbidden();
    if (addressesObject && objectBusinessId !== named) throw new NotFound();
    return membership;
  }
  if (addressesObject) {
    const membership = objectBusinessId ? membershipOf(user, objectBusinessId) : null;
    if (!membership) throw new NotFound();
    return membership;
  }
  if (user.businesses.length === 1) return membershipOf(user, user.businesses[0].id)!;
  if (user.businesses.length === 0) throw new BadRequest('You have no business yet; create one first.');
  throw new BadRequest('You belong to several businesses: say which with business_id.');
}

/** The tables of objects the API addresses by their own id. */
const TABLES = {
  expense: 'transactions',
  recommendation: 'recommendations',
  import: 'import_batches',
  conversation: 'conversations',
} as const;
export type ObjectKind = keyof typeof TABLES;

/**
 * The business an object belongs to, or null when the id is malformed or names nothing.
 * It reads no business data beyond the owner's id, and the caller decides from the
 * caller's memberships whether to show anything, so it is the one read not filtered
 * by a business.
 */
export async function businessOfObject(db: Db, kind: ObjectKind, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const row: { business_id: string } | undefined = await db(TABLES[kind]).where({ id }).first('business_id');
  return row?.business_id ?? null;
}

import type { NextFunction, Request, Response } from 'express';
import type { Role } from '../../services/access/businesses.ts';
import type { UserWithBusinesses } from '../../services/access/users.ts';
import { BadRequest, Forbidden } from '../../services/core/errors.ts';

/**
 * Loads the user's membership of /b/:businessId and gives `business` and `role`
 * to the handler. A non-member, and an id that does not exist, get the same 403,
 * so a stranger learns nothing about the business.
 */
export function loadMembership() {
  return (req: Request<{ businessId: string }>, res: Response, next: NextFunction) => {
    // The user's memberships came with the user (loadUser), so this costs no query.
    const found = (res.locals.user as UserWithBusinesses).businesses.find((b) => b.id === req.params.businessId);
    if (!found) throw new Forbidden();
    const { role, ...business } = found;
    res.locals.business = business;
    res.locals.role = role;
    next();
  };
}

/** Only these roles may go on; used on writes (viewers read only) and on management pages. */
export function requireRole(...roles: Role[]) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (!roles.includes(res.locals.role)) return next(new Forbidden('Your role in this business does not allow this.'));
    next();
  };
}

export const requireWriter = requireRole('owner', 'admin', 'member');

/**
 * Writes any member may make about themselves, viewers included: leaving the business,
 * and their own conversations with the agent (asking is reading; the agent never writes).
 */
const SELF_SERVICE_WRITES = new Set(['/members/departures']);
const isSelfService = (path: string) => SELF_SERVICE_WRITES.has(path) || path === '/chat' || path.startsWith('/chat/');

/**
 * A safety net under every business route: a viewer's write is refused here even if
 * a handler forgets requireWriter. Handlers still state their own role needs.
 */
export function viewersReadOnly(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.role !== 'viewer' || ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || isSelfService(req.path)) return next();
  next(new Forbidden('Viewers can read this business but not change it.'));
}
export const requireManager = requireRole('owner', 'admin');

/**
 * The business a JSON API call is about: `business_id` from the path, query or
 * body; when omitted, the caller's only business; several and none named → 400;
 * not a member (or no such business) → 403. Returns the membership, like the page middleware.
 */
export function resolveBusiness(req: Request, res: Response): { business: Omit<UserWithBusinesses['businesses'][number], 'role'>; role: Role } {
  const given = (req.params as Record<string, string>).business_id ?? req.query.business_id ?? (req.body as Record<string, unknown> | undefined)?.business_id;
  let businessId: string;
  if (typeof given === 'string' && given !== '') {
    businessId = given;
  } else {
    const mine = res.locals.user.businesses as { id: string }[];
    if (mine.length === 1) businessId = mine[0].id;
    else if (mine.length === 0) throw new BadRequest('You have no business yet; create one first.');
    else throw new BadRequest('You belong to several businesses: say which with business_id.');
  }
  // The caller's memberships came with the user (session or token), so this costs no query.
  const membership = (res.locals.user as UserWithBusinesses).businesses.find((b) => b.id === businessId);
  if (!membership) throw new Forbidden();
  const { role, ...business } = membership;
  res.locals.business = business;
  res.locals.role = role;
  return { business, role };
}

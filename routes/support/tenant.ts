import type { NextFunction, Request, Response } from 'express';
import * as businesses from '../../services/businesses.ts';
import type { Role } from '../../services/businesses.ts';
import { Forbidden } from '../../services/core/errors.ts';
import type { AppDeps } from './deps.ts';

/**
 * Loads the user's membership of /b/:businessId and gives `business` and `role`
 * to the handler. A non-member, and an id that does not exist, get the same 403,
 * so a stranger learns nothing about the business.
 */
export function loadMembership({ db }: AppDeps) {
  return async (req: Request<{ businessId: string }>, res: Response, next: NextFunction) => {
    const found = await businesses.membership(db, req.params.businessId, res.locals.user.id);
    if (!found) throw new Forbidden();
    res.locals.business = found.business;
    res.locals.role = found.role;
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
export const requireManager = requireRole('owner', 'admin');

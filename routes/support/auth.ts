import type { NextFunction, Request, Response } from 'express';
import * as users from '../../services/users.ts';
import { Unauthorized } from '../../services/core/errors.ts';
import type { AppDeps } from './deps.ts';
import { endSession } from './session.ts';
import { wantsJson } from './render.ts';

/** Puts the signed-in user (with their businesses, for the switcher) on res.locals.user. */
export function loadUser({ db, clock }: AppDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const userId = req.session?.userId;
    if (!userId) return next();
    const limit = req.session.absoluteExpiresAt;
    if (limit && clock.now().getTime() > limit) {
      await endSession(req);
      return next();
    }
    const user = await users.findWithBusinesses(db, userId);
    if (user) res.locals.user = user;
    next();
  };
}

/** Signed-in users only: pages redirect to the sign-in form, JSON gets 401. */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.user) return next();
  if (wantsJson(req) || req.method !== 'GET') return next(new Unauthorized());
  res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** A same-site path to return to after signing in; anything else falls back to home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

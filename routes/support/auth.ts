import type { NextFunction, Request, Response } from 'express';
import * as users from '../../services/access/users.ts';
import * as apiAuth from '../../services/access/api-auth.ts';
import * as apiTokens from '../../services/access/api-tokens.ts';
import { Forbidden, Unauthorized } from '../../services/core/errors.ts';
import type { AppDeps } from './deps.ts';
import { endSession, sessionUser } from './session.ts';
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
    // Read with the session in the same query; a session read some other way reads it now.
    const read = sessionUser(req);
    const user = read !== undefined && read?.id === userId ? read : await users.findWithBusinesses(db, userId);
    if (user) {
      res.locals.user = user;
      // What a signed-in user is shown is theirs alone: no shared cache keeps it, no browser stores it.
      res.setHeader('Cache-Control', 'private, no-store');
    }
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

/** The token of an `Authorization: Bearer ...` header, or null. */
export function bearerToken(req: Request): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return m ? m[1] : null;
}

/**
 * JSON API callers with a Bearer header are authenticated by it alone: an access JWT
 * or a personal API token. A bad token is a 401 even when a session cookie is also
 * sent, so a bearer request never acts with the cookie's authority (which is why
 * such requests may skip the CSRF check). A read-scoped personal token may only read.
 */
/** `readOnlyTools`: the route's writes are transport only (MCP), so a read-scoped token may use it. */
export function authenticateBearer({ db, config, clock }: AppDeps, opts: { readOnlyTools?: boolean } = {}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    // A Bearer header that does not parse is a bad token, not a request to fall back on the cookie.
    if (!token && /^\s*bearer\b/i.test(req.get('authorization') ?? '')) throw new Unauthorized('The access token is invalid or expired.');
    if (!token) return next();
    let userId: string | null = null;
    if (token.startsWith(apiTokens.PREFIX)) {
      const found = await apiTokens.authenticate(db, clock.now(), token);
      if (found?.scope === 'read' && !opts.readOnlyTools && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
        throw new Forbidden('This API token may only read. Create a token with the write scope.');
      }
      userId = found?.userId ?? null;
    } else {
      userId = await apiAuth.verifyAccessToken(config.jwtSecret, clock.now(), token);
    }
    const user = userId ? await users.findWithBusinesses(db, userId) : null;
    if (!user) throw new Unauthorized('The access token is invalid or expired.');
    res.locals.user = user;
    next();
  };
}

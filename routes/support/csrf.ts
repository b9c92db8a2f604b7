import type { NextFunction, Request, Response } from 'express';
import { randomToken, safeEqual } from '../../services/core/crypto.ts';
import { Forbidden } from '../../services/core/errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The signed link of a digest (routes/email/digest-links.ts), the one path a POST needs
 * no token on: mail clients unsubscribe with a bare POST (RFC 8058). Its route reads no
 * session and acts only for the recipient its HMAC names, so a cookie adds no authority
 * there to abuse. Exactly /u/<payload>.<signature>, nothing below it.
 */
const SIGNED_DIGEST_LINK = /^\/u\/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

/** The session's synchronizer token, created on first use. */
export function csrfToken(req: Request): string {
  req.session.csrf ??= randomToken(32);
  return req.session.csrf;
}

/**
 * CSRF rides on a cookie the browser adds by itself. A JSON API call carrying a Bearer
 * header is authenticated by that header alone (see authenticateBearer), and one whose
 * session has no signed-in user has no cookie authority to abuse (signup, login and
 * refresh answer with tokens in the body, never a cookie). Everything else, including
 * API calls made with the session cookie, needs the token.
 */
function isApiWithoutCookieAuthority(req: Request): boolean {
  // MCP authenticates only by bearer token and ignores cookies, so a cookie there carries no authority.
  if (req.originalUrl === '/mcp' || req.originalUrl.startsWith('/mcp?')) return true;
  if (!req.originalUrl.startsWith('/api/')) return false;
  return /^Bearer\s+\S+$/i.test(req.get('authorization') ?? '') || !req.session?.userId;
}

/**
 * Refuses a state-changing request whose token (form field `_csrf` or header
 * `X-CSRF-Token`, which htmx sends from `hx-headers` on <body>) does not match.
 */
export function verifyCsrf(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE.has(req.method)) return next();
  if (isApiWithoutCookieAuthority(req)) return next();
  if (req.method === 'POST' && SIGNED_DIGEST_LINK.test(req.path)) return next();
  // A file upload's body is only read later (by multer), so a plain multipart form carries its token in the action URL.
  const fromQuery = req.is('multipart/form-data') ? req.query._csrf : undefined;
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token') ?? fromQuery;
  const expected = req.session?.csrf;
  if (typeof sent !== 'string' || !expected || !safeEqual(sent, expected)) {
    return next(new Forbidden('This form has expired or did not come from Bursar. Reload the page and try again.'));
  }
  next();
}

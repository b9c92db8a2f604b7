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
 * `X-CSRF-Token`, which htmx sends from `hx-headers` on <body>) does not match. A plain
 * multipart form (a file upload without JavaScript) carries the field first in its body,
 * which is read here without being consumed; the token never goes in a URL, where logs,
 * history and Referer headers would keep it.
 */
export function verifyCsrf(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE.has(req.method)) return next();
  if (isApiWithoutCookieAuthority(req)) return next();
  if (req.method === 'POST' && SIGNED_DIGEST_LINK.test(req.path)) return next();
  const check = (sent: unknown) => {
    const expected = req.session?.csrf;
    if (typeof sent !== 'string' || !expected || !safeEqual(sent, expected)) {
      return next(new Forbidden('This form has expired or did not come from Bursar. Reload the page and try again.'));
    }
    next();
  };
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
  if (sent === undefined && req.is('multipart/form-data')) {
    peekMultipartField(req, '_csrf').then(check, next);
    return;
  }
  check(sent);
}

/** How far into a multipart body its first field is looked for: a token field is a few hundred bytes. */
const PEEK_BYTES = 16 * 1024;

/**
 * The value of a multipart body's FIRST part when it is the field `name`, read off the
 * start of the stream and put back (unshift), so the upload parser later reads the whole
 * body as sent. Undefined when the first part is another field or a file.
 */
export function peekMultipartField(req: Request, name: string): Promise<string | undefined> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(req.get('content-type') ?? '');
  if (!boundary) return Promise.resolve(undefined);
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // null while more of the body is needed to tell.
    const look = (): string | undefined | null => {
      const text = Buffer.concat(chunks).toString('latin1');
      const start = text.indexOf(delimiter);
      const end = start < 0 ? -1 : text.indexOf(`\r\n${delimiter}`, start + delimiter.length);
      if (end < 0) return size >= PEEK_BYTES ? undefined : null;
      const part = /^\r\ncontent-disposition:\s*form-data;\s*name="([^"]*)"(;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)$/i.exec(text.slice(start + delimiter.length, end));
      return part && part[1] === name && !part[2] ? part[3] : undefined;
    };
    const done = (value: string | undefined) => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onError);
      // Put back synchronously, before the stream can announce its end.
      if (chunks.length) req.unshift(Buffer.concat(chunks));
      resolve(value);
    };
    const onReadable = () => {
      for (let chunk: Buffer | null = req.read(); chunk !== null; chunk = req.read()) {
        chunks.push(chunk);
        size += chunk.length;
        const found = look();
        if (found !== null) return done(found);
      }
    };
    const onEnd = () => {
      req.off('readable', onReadable);
      req.off('error', onError);
      resolve(look() ?? undefined);
    };
    const onError = (err: Error) => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      reject(err);
    };
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

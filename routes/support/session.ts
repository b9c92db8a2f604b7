import type { Request } from 'express';
import session, { type SessionData } from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import * as sessions from '../../services/access/sessions.ts';
import type { UserWithBusinesses } from '../../services/access/users.ts';
import type { Db } from '../../services/core/db.ts';
import type { AppDeps } from './deps.ts';

declare module 'express-session' {
  interface SessionData {
    userId: string;
    csrf: string;
    flash: Flash[];
    /** Absolute end of a browser session (epoch ms); remembered sessions rely on the cookie's maxAge. */
    absoluteExpiresAt: number;
    /** Shown on the sessions page so a user can tell their devices apart. */
    userAgent: string;
    signedInAt: number;
  }
}

export type Flash = { type: 'success' | 'error' | 'info'; message: string };

export const SESSION_COOKIE = 'bursar.sid';
export const REMEMBER_MS = 30 * 24 * 3600 * 1000;
export const BROWSER_SESSION_MS = 12 * 3600 * 1000;

/** Sessions live in the database, so they survive restarts and are shared by every pm2 instance. */
export function sessionMiddleware({ db, config, logger, clock }: AppDeps) {
  const store = new SessionStore(db);
  throttleTouch(store, clock);
  // The store checks its table once at start; a missing table means migrations have not run.
  (store as unknown as { ready: Promise<void> }).ready.catch((err: Error) => logger.error({ err }, 'session store is not ready'));
  return session({
    store,
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    resave: false,
    saveUninitialized: false,
    proxy: config.trustProxy !== false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.isProduction, path: '/' },
  });
}

/** What express-session's ids look like (uid-safe: base64url); anything else was not made here. */
const SESSION_ID = /^[\w-]{16,128}$/;

/** Where the store leaves the user it read with the session, on the session data and then the request; symbols are never saved. */
const USER = Symbol('the signed-in user, read with the session');
type CarriesUser = { [USER]?: UserWithBusinesses | null };

/**
 * connect-session-knex, but reading the session together with its signed-in user and
 * their businesses (one query where every signed-in request made two). loadUser takes
 * the user from the request; the data saved back to the table is unchanged.
 */
class SessionStore extends ConnectSessionKnexStore {
  constructor(private readonly db: Db) {
    // Expired rows are purged by a job; a timer per process would also keep tests alive.
    super({ knex: db, tableName: 'sessions', createTable: false, cleanupInterval: 0 });
  }

  /**
   * Errors go to the callback only: express-session hands them to the error handler (a
   * 503 while the database is away). Rethrowing as well left a rejection nobody caught,
   * which ended the process on the first signed-in request during a database restart.
   */
  override async get(sid: string, callback?: (err: unknown, session?: SessionData | null) => void): Promise<SessionData | null> {
    // A forged cookie's id (a NUL byte, a megabyte) is no session, not a query.
    if (!SESSION_ID.test(sid)) {
      callback?.(null, null);
      return null;
    }
    let found: Awaited<ReturnType<typeof sessions.readWithUser>>;
    try {
      // The expiry was written by the library's set() and express-session's cookie, both on
      // the real time, so it is read on the real time too (the purge job uses the clock).
      found = await sessions.readWithUser(this.db, sid, new Date());
    } catch (err) {
      callback?.(err);
      return null;
    }
    const sess = found ? (Object.assign(found.sess, { [USER]: found.user }) as unknown as SessionData) : null;
    callback?.(null, sess);
    return sess;
  }

  override createSession(req: Request, sess: SessionData) {
    (req as Request & CarriesUser)[USER] = (sess as SessionData & CarriesUser)[USER];
    return super.createSession(req, sess);
  }
}

/** The signed-in user read with this request's session: undefined when it was not read that way, null when it has none. */
export function sessionUser(req: Request): UserWithBusinesses | null | undefined {
  return (req as Request & CarriesUser)[USER];
}

const TOUCH_EVERY_MS = 3600 * 1000;

/**
 * A remembered session's expiry slides forward on use; the store would write that to
 * the database on every request. Once an hour per session and process is enough for
 * an expiry thirty days out.
 */
function throttleTouch(store: ConnectSessionKnexStore, clock: AppDeps['clock']): void {
  const touchedAt = new Map<string, number>();
  const touch = store.touch.bind(store);
  store.touch = async (sid, sess, callback) => {
    const now = clock.now().getTime();
    const last = touchedAt.get(sid);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return callback?.();
    if (touchedAt.size > 50_000) touchedAt.clear();
    touchedAt.set(sid, now);
    return touch(sid, sess, callback);
  };
}

/** Replaces the session (a new id, so a planted id is worthless) and signs the user in. */
export async function startSession(req: Request, userId: string, rememberMe: boolean, now: Date): Promise<void> {
  const flash = req.session.flash;
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  req.session.userId = userId;
  req.session.userAgent = (req.get('user-agent') ?? '').slice(0, 200);
  req.session.signedInAt = now.getTime();
  if (flash) req.session.flash = flash;
  if (rememberMe) {
    req.session.cookie.maxAge = REMEMBER_MS;
  } else {
    // A browser session: no expiry on the cookie, and a hard limit kept on the server.
    req.session.cookie.expires = undefined;
    req.session.absoluteExpiresAt = now.getTime() + BROWSER_SESSION_MS;
  }
  await saveSession(req);
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function endSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

export function flash(req: Request, type: Flash['type'], message: string): void {
  req.session.flash = [...(req.session.flash ?? []), { type, message }];
}

export function takeFlash(req: Request): Flash[] {
  const messages = req.session?.flash ?? [];
  if (messages.length) delete req.session.flash;
  return messages;
}

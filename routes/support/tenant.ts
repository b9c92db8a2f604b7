import { Router, type NextFunction, type Request, type Response } from 'express';
import { canManage, canWrite, type Role } from '../../services/access/businesses.ts';
import { businessOfObject, resolveMembership, type Member, type Membership, type ObjectKind } from '../../services/access/tenancy.ts';
import { BadRequest, Forbidden, NotFound } from '../../services/core/errors.ts';
import type { AppDeps } from './deps.ts';

function settle(res: Response, { business, role }: Membership): void {
  res.locals.business = business;
  res.locals.role = role;
}

/**
 * Loads the user's membership of /b/:businessId and gives `business` and `role`
 * to the handler. A non-member, and an id that does not exist, get the same 403,
 * so a stranger learns nothing about the business.
 */
export function loadMembership() {
  return (req: Request<{ businessId: string }>, res: Response, next: NextFunction) => {
    settle(res, resolveMembership(res.locals.user as Member, { named: req.params.businessId }));
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

export function requireWriter(_req: Request, res: Response, next: NextFunction): void {
  if (!canWrite(res.locals.role)) return next(new Forbidden('Your role in this business does not allow this.'));
  next();
}

export function requireManager(_req: Request, res: Response, next: NextFunction): void {
  if (!canManage(res.locals.role)) return next(new Forbidden('Only owners and admins may do this.'));
  next();
}

/**
 * Requests with a write's method that any member may make, viewers included. Writes
 * about oneself: leaving the business, one's own email digest, one's own conversations with the agent
 * (asking is reading; the agent never writes). And a read sent as POST because it
 * computes from options in a body: the API's forecast. Paths are as the business
 * routers see them: under /b/:businessId for pages, under /api/v1 for the JSON API.
 */
const VIEWERS_MAY_POST = new Set(['/members/departures', '/digest', '/agent/chat', '/forecast']);
const isSelfService = (path: string) => VIEWERS_MAY_POST.has(path) || path === '/chat' || path.startsWith('/chat/');

/**
 * A safety net under every business route: a viewer's write is refused here even if
 * a handler forgets requireWriter. Handlers still state their own role needs.
 */
export function viewersReadOnly(req: Request, res: Response, next: NextFunction): void {
  if (canWrite(res.locals.role) || ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || isSelfService(req.path)) return next();
  next(new Forbidden('Viewers can read this business but not change it.'));
}

/** The business_id a JSON API caller gave in the query or body, if any. */
function namedBusiness(req: Request): string | undefined {
  const given = req.query.business_id ?? (req.body as Record<string, unknown> | undefined)?.business_id;
  if (given === undefined || given === '') return undefined;
  if (typeof given !== 'string') throw new BadRequest('Give business_id once, as one id.');
  return given;
}

/**
 * Resources the JSON API addresses by their own id, with everything below them: the
 * business is the object's own, so the caller need not name it. A receipt is addressed
 * under its expense, whose business is the request's; the receipts service then finds
 * the receipt only within that business and expense. `business` means the id is the
 * business itself, which then counts as named.
 */
const ADDRESSED_BY_ID: [path: string, kind: ObjectKind | 'business'][] = [
  ['/expenses/:id', 'expense'],
  ['/recommendations/:id', 'recommendation'],
  ['/imports/:id', 'import'],
  ['/agent/conversations/:id', 'conversation'],
  ['/users/businesses/:id', 'business'],
];

/**
 * The membership check in front of every business-scoped JSON API route: the business
 * comes from the object the path addresses, else from business_id in the query or
 * body, else it is the caller's only one (resolveMembership says what each refusal is).
 * Puts `business` and `role` on res.locals, as the pages' loadMembership does. A
 * multipart body is not read yet here: its business_id counts only where the route
 * reads the form first (POST /imports).
 */
export function apiMembership({ db }: AppDeps): Router {
  const router = Router();
  for (const [path, kind] of ADDRESSED_BY_ID) {
    router.use(path, async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
      const user = res.locals.user as Member;
      const named = namedBusiness(req);
      if (kind === 'business') {
        if (named !== undefined && named !== req.params.id) throw new NotFound();
        settle(res, resolveMembership(user, { named: req.params.id }));
      } else {
        settle(res, resolveMembership(user, { named, objectBusinessId: await businessOfObject(db, kind, req.params.id) }));
      }
      // Resolved: skip the general case below.
      next('router');
    });
  }
  router.use((req: Request, res: Response, next: NextFunction) => {
    settle(res, resolveMembership(res.locals.user as Member, { named: namedBusiness(req) }));
    next();
  });
  return router;
}

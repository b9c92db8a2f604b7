import { Router } from 'express';
import type { AppDeps } from '../../support/deps.ts';

export function meApiRoutes(_deps: AppDeps): Router {
  const router = Router();
  router.get(['/auth/me', '/users/me'], (_req, res) => {
    const { id, email, name, businesses } = res.locals.user;
    res.json({ id, email, name, businesses: businesses.map((b: { id: string; name: string; role: string }) => ({ id: b.id, name: b.name, role: b.role })) });
  });
  return router;
}

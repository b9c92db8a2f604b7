import { Router } from 'express';
import { z } from 'zod';
import * as users from '../../../services/access/users.ts';
import * as signIn from '../../../services/access/sign-in.ts';
import * as apiAuth from '../../../services/access/api-auth.ts';
import { Unauthorized } from '../../../services/core/errors.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';

const refreshInput = z.object({ refresh_token: z.string({ error: 'Send the refresh token' }).min(1, 'Send the refresh token') });
const publicUser = (u: { id: string; email: string; name: string }) => ({ id: u.id, email: u.email, name: u.name });

/** Getting, renewing and giving up API tokens; these need no token of their own. */
export function authApiRoutes({ db, config, clock }: AppDeps): Router {
  const router = Router();

  router.post('/auth/signup', async (req, res) => {
    const input = parseOrThrow(users.signupInput, req.body);
    const user = await users.createUser(db, input);
    res.status(201).json({ user: publicUser(user), ...(await apiAuth.issue(db, config.jwtSecret, clock.now(), user.id)) });
  });

  router.post('/auth/login', async (req, res) => {
    const input = parseOrThrow(users.loginInput, req.body);
    const user = await signIn.withPassword(db, config.rateLimits, clock.now(), { ...input, ip: req.ip ?? '' });
    if (!user) throw new Unauthorized('That email and password do not match an account.');
    res.json({ user: publicUser(user), ...(await apiAuth.issue(db, config.jwtSecret, clock.now(), user.id)) });
  });

  router.post('/auth/refresh', async (req, res) => {
    const { refresh_token } = parseOrThrow(refreshInput, req.body);
    res.json(await apiAuth.refresh(db, config.jwtSecret, clock.now(), refresh_token));
  });

  router.post('/auth/logout', async (req, res) => {
    const { refresh_token } = parseOrThrow(refreshInput, req.body);
    await apiAuth.revoke(db, clock.now(), refresh_token);
    res.status(204).end();
  });

  return router;
}

import { Router } from 'express';
import * as users from '../../services/access/users.ts';
import * as signIn from '../../services/access/sign-in.ts';
import { Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { endSession, flash, startSession } from '../support/session.ts';
import { safeNext } from '../support/auth.ts';

const signupView = { page: 'pages/signup.njk', partial: 'partials/accounts/signup-form.njk' };
const loginView = { page: 'pages/login.njk', partial: 'partials/accounts/login-form.njk' };

export function accountRoutes({ db, clock, config }: AppDeps): Router {
  const router = Router();

  // --- sign up
  router.get('/signup', (req, res) => {
    if (res.locals.user) return res.redirect(safeNext(req.query.next));
    // An invitation link sends people here with their address and the way back to it.
    render(req, res, signupView, { values: { email: req.query.email, next: req.query.next }, errors: {} });
  });

  router.post('/signup', async (req, res) => {
    const input = parseForm(users.signupInput, req.body);
    if (!input.ok) return render(req, res, { ...signupView, status: 422 }, { values: req.body, errors: input.errors });
    try {
      const user = await users.createUser(db, input.data);
      await startSession(req, user.id, false, clock.now());
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      return render(req, res, { ...signupView, status: 422 }, { values: req.body, errors: err.details });
    }
    if (req.body.next) return redirectAfterPost(req, res, safeNext(req.body.next));
    flash(req, 'success', 'Welcome to Bursar. Create your first business to get started.');
    redirectAfterPost(req, res, '/businesses/new');
  });

  // --- sign in and out
  router.get('/login', (req, res) => {
    if (res.locals.user) return res.redirect(safeNext(req.query.next));
    render(req, res, loginView, { values: { next: req.query.next }, errors: {} });
  });

  router.post('/login', async (req, res) => {
    const input = parseForm(users.loginInput, req.body);
    if (!input.ok) return render(req, res, { ...loginView, status: 422 }, { values: req.body, errors: input.errors });
    const user = await signIn.withPassword(db, config.rateLimits, clock.now(), { ...input.data, ip: req.ip ?? '' });
    if (!user) {
      const errors = { _form: ['That email and password do not match an account.'] };
      return render(req, res, { ...loginView, status: 422 }, { values: { ...req.body, password: '' }, errors });
    }
    await startSession(req, user.id, input.data.remember_me, clock.now());
    redirectAfterPost(req, res, safeNext(req.body.next));
  });

  router.post('/logout', async (req, res) => {
    await endSession(req);
    redirectAfterPost(req, res, '/login');
  });

  return router;
}

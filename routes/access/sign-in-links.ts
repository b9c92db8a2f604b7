import { Router } from 'express';
import * as signIn from '../../services/access/sign-in.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { flash, startSession } from '../support/session.ts';

const magicView = { page: 'pages/accounts/magic-link.njk', partial: 'partials/accounts/email-link-form.njk' };
const resetView = { page: 'pages/accounts/password-reset.njk', partial: 'partials/accounts/email-link-form.njk' };
const newPasswordView = { page: 'pages/accounts/new-password.njk', partial: 'partials/accounts/new-password-form.njk' };
const deadLink = { page: 'pages/accounts/dead-link.njk', status: 410 };

/**
 * Signing in by email and resetting a password. Links open a page with a button
 * rather than acting on GET, since mail scanners fetch links and would use them up.
 */
export function signInLinkRoutes({ db, config, clock, logger }: AppDeps): Router {
  const router = Router();
  const mail = { config, logger };

  // --- magic link
  router.get('/login/magic-link', (req, res) => {
    render(req, res, magicView, { values: {}, errors: {}, action: '/login/magic-link', button: 'Email me a sign-in link' });
  });

  router.post('/login/magic-link', async (req, res) => {
    const input = parseForm(signIn.emailInput, req.body);
    if (!input.ok) {
      return render(req, res, { ...magicView, status: 422 }, { values: req.body, errors: input.errors, action: '/login/magic-link', button: 'Email me a sign-in link' });
    }
    await signIn.requestMagicLink(db, mail, clock.now(), { email: input.data.email, ip: req.ip ?? '' });
    render(req, res, { page: 'pages/accounts/check-email.njk' }, { email: input.data.email, minutes: signIn.LINK_MINUTES });
  });

  router.get('/login/magic', (req, res) => {
    render(req, res, { page: 'pages/accounts/magic-confirm.njk' }, { token: String(req.query.token ?? '') });
  });

  router.post('/login/magic', async (req, res) => {
    const user = await signIn.withMagicLink(db, clock.now(), String(req.body.token ?? ''));
    if (!user) return render(req, res, deadLink, { again: '/login/magic-link' });
    await startSession(req, user.id, false, clock.now());
    redirectAfterPost(req, res, '/');
  });

  // --- password reset
  router.get('/password-reset', (req, res) => {
    render(req, res, resetView, { values: {}, errors: {}, action: '/password-reset', button: 'Email me a reset link' });
  });

  router.post('/password-reset', async (req, res) => {
    const input = parseForm(signIn.emailInput, req.body);
    if (!input.ok) {
      return render(req, res, { ...resetView, status: 422 }, { values: req.body, errors: input.errors, action: '/password-reset', button: 'Email me a reset link' });
    }
    await signIn.requestPasswordReset(db, mail, clock.now(), { email: input.data.email, ip: req.ip ?? '' });
    render(req, res, { page: 'pages/accounts/check-email.njk' }, { email: input.data.email, minutes: signIn.LINK_MINUTES });
  });

  router.get('/password-reset/new', async (req, res) => {
    const token = String(req.query.token ?? '');
    if (!(await signIn.isResetTokenUsable(db, clock.now(), token))) return render(req, res, deadLink, { again: '/password-reset' });
    render(req, res, newPasswordView, { values: { token }, errors: {} });
  });

  router.post('/password-reset/new', async (req, res) => {
    const input = parseForm(signIn.newPasswordInput, req.body);
    if (!input.ok) return render(req, res, { ...newPasswordView, status: 422 }, { values: { token: req.body.token }, errors: input.errors });
    const user = await signIn.resetPassword(db, clock.now(), input.data.token, input.data.password);
    if (!user) return render(req, res, deadLink, { again: '/password-reset' });
    await startSession(req, user.id, false, clock.now());
    flash(req, 'success', 'Your password is changed, and every other session is signed out.');
    redirectAfterPost(req, res, '/');
  });

  return router;
}

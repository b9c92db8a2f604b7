import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as sessions from '../../services/access/sessions.ts';
import * as apiTokens from '../../services/access/api-tokens.ts';
import * as users from '../../services/access/users.ts';
import { NotFound, Validation } from '../../services/core/errors.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseForm, parseOrThrow, type FieldErrors } from '../support/validate.ts';
import { endSession, flash } from '../support/session.ts';
import { requireUser } from '../support/auth.ts';
import { uuid } from '../../services/core/ids.ts';

const endInput = z.object({ session: z.string().regex(/^[0-9a-f]{20}$/, 'Choose a session') });
const revokeInput = z.object({ token: uuid('Choose a token') });
const tokensView = { page: 'pages/account/tokens.njk', partial: 'partials/account/token-form.njk' };

/** The signed-in user's own account: profile, password, the sessions they have open and their API tokens. */
export function accountSettingsRoutes({ db, clock }: AppDeps): Router {
  const router = Router();

  // --- profile and password (two forms on one page; each re-renders alone for htmx)
  async function profilePage(req: Request, res: Response, status: number, partial: string, extra: Record<string, unknown>) {
    const me = await users.profile(db, res.locals.user.id);
    const data = { me, values: { name: me?.name }, errors: {}, passwordErrors: {}, ...extra };
    render(req, res, { page: 'pages/account/profile.njk', partial, status }, data);
  }

  router.get('/account/profile', requireUser, (req, res) => profilePage(req, res, 200, 'partials/account/profile-form.njk', {}));

  router.post('/account/profile', requireUser, async (req, res) => {
    const input = parseForm(users.profileInput.pick({ name: true }).required(), req.body);
    if (!input.ok) return profilePage(req, res, 422, 'partials/account/profile-form.njk', { values: req.body, errors: input.errors });
    await users.updateProfile(db, res.locals.user.id, input.data);
    flash(req, 'success', 'Profile saved.');
    redirectAfterPost(req, res, '/account/profile');
  });

  router.post('/account/password', requireUser, async (req, res) => {
    const input = parseForm(users.passwordChangeInput, req.body);
    const again = (errors: FieldErrors) => profilePage(req, res, 422, 'partials/account/password-form.njk', { passwordErrors: errors });
    if (!input.ok) return again(input.errors);
    try {
      await users.changePassword(db, clock.now(), res.locals.user.id, input.data, req.sessionID);
    } catch (err) {
      if (!(err instanceof Validation)) throw err;
      return again(err.details ?? {});
    }
    flash(req, 'success', 'Password changed; your other sessions are signed out.');
    redirectAfterPost(req, res, '/account/profile');
  });

  // --- sessions
  router.get('/account/sessions', requireUser, async (req, res) => {
    const list = await sessions.listForUser(db, res.locals.user.id, clock.now(), req.sessionID);
    render(req, res, { page: 'pages/account/sessions.njk', partial: 'partials/account/sessions.njk' }, { sessions: list });
  });

  // Ending a session is creating an "ended session", so the action stays a noun.
  router.post('/account/ended-sessions', requireUser, async (req, res) => {
    const { session } = parseOrThrow(endInput, req.body);
    if (session === sessions.handleOf(req.sessionID)) {
      await endSession(req);
      return redirectAfterPost(req, res, '/login');
    }
    if (!(await sessions.endByHandle(db, res.locals.user.id, session))) throw new NotFound('That session has already ended.');
    flash(req, 'success', 'That session is signed out.');
    redirectAfterPost(req, res, '/account/sessions');
  });

  // --- personal API tokens
  async function tokensPage(req: Request, res: Response, status: number, extra: { values?: unknown; errors?: FieldErrors; created?: string }) {
    const tokens = await apiTokens.listForUser(db, res.locals.user.id);
    render(req, res, { ...tokensView, status }, { tokens, scopes: apiTokens.SCOPES, values: { scope: 'read' }, errors: {}, ...extra });
  }

  router.get('/account/tokens', requireUser, (req, res) => tokensPage(req, res, 200, {}));

  // The new secret is rendered in the response and never again, so this answers with a page, not a redirect.
  router.post('/account/tokens', requireUser, async (req, res) => {
    const input = parseForm(apiTokens.tokenInput, req.body);
    if (!input.ok) return tokensPage(req, res, 422, { values: req.body, errors: input.errors });
    const { token } = await apiTokens.create(db, res.locals.user.id, input.data);
    res.set('Cache-Control', 'no-store');
    await tokensPage(req, res, 201, { created: token });
  });

  router.post('/account/revoked-tokens', requireUser, async (req, res) => {
    const { token } = parseOrThrow(revokeInput, req.body);
    await apiTokens.revoke(db, res.locals.user.id, token, clock.now());
    flash(req, 'success', 'Token revoked: scripts using it stop working now.');
    redirectAfterPost(req, res, '/account/tokens');
  });

  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import * as sessions from '../services/sessions.ts';
import { NotFound } from '../services/core/errors.ts';
import type { AppDeps } from './support/deps.ts';
import { redirectAfterPost, render } from './support/render.ts';
import { parseOrThrow } from './support/validate.ts';
import { endSession, flash } from './support/session.ts';
import { requireUser } from './support/auth.ts';

const endInput = z.object({ session: z.string().regex(/^[0-9a-f]{20}$/, 'Choose a session') });

/** The signed-in user's own account: the sessions they have open. */
export function accountSettingsRoutes({ db, clock }: AppDeps): Router {
  const router = Router();

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

  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import * as members from '../../services/access/members.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { parseOrThrow } from '../support/validate.ts';
import { flash } from '../support/session.ts';
import { requireUser } from '../support/auth.ts';

const tokenInput = z.object({ token: z.string().min(1, 'The invitation link is incomplete.') });

/**
 * The link in an invitation email. The token stays in the query string (which the
 * request log redacts); accepting is a POST, so a mail scanner's GET changes nothing.
 */
export function invitationRoutes({ db, clock }: AppDeps): Router {
  const router = Router();

  router.get('/invitation', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const invitation = token ? await members.findInvitation(db, token, clock.now()) : null;
    const here = `/invitation?token=${encodeURIComponent(token)}`;
    render(req, res, { page: 'pages/invitation.njk', status: invitation ? 200 : 410 }, { invitation, token, here });
  });

  router.post('/invitation', requireUser, async (req, res) => {
    const { token } = parseOrThrow(tokenInput, req.body);
    const businessId = await members.acceptInvitation(db, token, res.locals.user, clock.now());
    flash(req, 'success', 'Welcome aboard: you are now a member of this business.');
    redirectAfterPost(req, res, `/b/${businessId}`);
  });

  return router;
}

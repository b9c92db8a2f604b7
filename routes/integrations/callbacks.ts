import { Router } from 'express';
import { z } from 'zod';
import { canManage } from '../../services/access/businesses.ts';
import { resolveMembership, type Member } from '../../services/access/tenancy.ts';
import { BadRequest, Forbidden } from '../../services/core/errors.ts';
import * as records from '../../services/integrations/records.ts';
import * as stripeConnect from '../../services/integrations/stripe/connect.ts';
import type { AppDeps } from '../support/deps.ts';
import { requireUser } from '../support/auth.ts';
import { flash } from '../support/session.ts';

const answer = z.union([
  z.object({ code: z.string().min(1).max(255), state: z.string().min(1).max(255) }),
  z.object({ error: z.string().min(1).max(100), error_description: z.string().max(500).optional(), state: z.string().min(1).max(255) }),
]);

/**
 * Where a provider sends the owner back after its authorisation page. The `state` names
 * the business; it must be this user's, unspent, and they must still manage the business.
 */
export function integrationCallbackRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/integrations/stripe/callback', requireUser, async (req, res) => {
    const parsed = answer.safeParse(req.query);
    if (!parsed.success) throw new BadRequest('This link is not a complete answer from Stripe. Start again from the Connections page.');
    const user = res.locals.user as Member & { id: string };
    if ('error' in parsed.data) {
      const businessId = await records.finishOAuth(deps.db, deps.clock.now(), parsed.data.state, user.id, 'stripe');
      flash(
        req,
        'info',
        parsed.data.error === 'access_denied'
          ? 'Stripe was not connected: the request was cancelled on Stripe’s page.'
          : `Stripe was not connected: ${parsed.data.error_description ?? parsed.data.error}.`,
      );
      return res.redirect(303, `/b/${businessId}/connections`);
    }
    const { code, state } = parsed.data;
    const { businessId } = await stripeConnect.complete(deps, {
      code,
      state,
      userId: user.id,
      // Still an owner or admin of the business the state was issued for, now.
      check: (id) => {
        if (!canManage(resolveMembership(user, { named: id }).role)) throw new Forbidden('Only owners and admins may connect Stripe.');
      },
    });
    deps.jobs?.nudge();
    flash(req, 'success', 'Stripe is connected. Its history is being brought in now; the bar shows how far it has got.');
    res.redirect(303, `/b/${businessId}/connections`);
  });

  return router;
}

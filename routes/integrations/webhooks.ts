import express, { Router } from 'express';
import { accept, verify } from '../../services/integrations/stripe/events.ts';
import type { AppDeps } from '../support/deps.ts';

/**
 * Provider webhooks. Mounted before the body parsers, so each route reads its raw body
 * and verifies the provider's signature over those exact bytes before anything is
 * parsed or stored. A verified event is stored by id and answered 2xx at once; a job
 * applies it (a repeat delivery is a no-op). No session, no CSRF: the signature is the
 * caller's credential.
 */
export function webhookRoutes(deps: AppDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '1mb' });

  router.post('/api/v1/webhooks/stripe', raw, async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const event = verify(deps.config, body, req.get('Stripe-Signature'), deps.clock.now());
    const fresh = await accept(deps.db, deps.clock.now(), event);
    if (fresh) deps.jobs?.nudge();
    res.status(200).json({ received: true, duplicate: !fresh });
  });

  return router;
}

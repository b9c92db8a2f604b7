import { Router } from 'express';
import * as ledger from '../../../services/ledger/transactions.ts';
import * as records from '../../../services/integrations/records.ts';
import * as stripeConnect from '../../../services/integrations/stripe/connect.ts';
import { enqueueSync } from '../../../services/integrations/stripe/sync.ts';
import { Conflict } from '../../../services/core/errors.ts';
import type { AppDeps } from '../../support/deps.ts';
import { requireManager, requireWriter } from '../../support/tenant.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { connectionList } from '../../integrations/connections.ts';
import { z } from 'zod';

const ledgerQuery = ledger.ledgerQuery.extend({ business_id: z.string().optional() });

/**
 * Connections and what they brought in: each provider's state, Stripe's connect URL,
 * sync now and disconnect; and the ledger as rows (`/transactions`), synced or not.
 */
export function integrationApiRoutes(deps: AppDeps): Router {
  const { db, config, clock } = deps;
  const router = Router();

  router.get('/integrations', async (_req, res) => {
    const list = await connectionList(db, config, res.locals.business.id);
    res.json({
      integrations: list.map((c) => ({
        provider: c.id,
        name: c.name,
        available: c.available,
        configured: c.configured,
        status: c.integration?.status ?? 'not_connected',
        account_id: c.integration?.account_id ?? null,
        account_name: c.integration?.account_name ?? null,
        needs_reconnect: c.integration?.needs_reconnect ?? false,
        last_synced_at: c.integration?.last_synced_at ?? null,
        last_error: c.integration?.last_error ?? null,
        progress: c.integration?.progress ?? null,
      })),
    });
  });

  router.get('/integrations/stripe/connect', requireManager, async (_req, res) => {
    res.json({ url: await stripeConnect.authorizeUrl(deps, res.locals.business.id, res.locals.user.id) });
  });

  router.post('/integrations/stripe/sync', requireWriter, async (_req, res) => {
    const integration = await records.get(db, res.locals.business.id, 'stripe');
    if (!integration || integration.status === 'disconnected') throw new Conflict('Stripe is not connected to this business.');
    if (integration.needs_reconnect) throw new Conflict('Stripe no longer accepts this connection: connect it again first.');
    await enqueueSync(db, clock.now(), res.locals.business.id);
    deps.jobs?.nudge();
    res.status(202).json({ queued: true });
  });

  router.delete('/integrations/stripe', requireManager, async (_req, res) => {
    await stripeConnect.disconnect(deps, res.locals.business.id);
    res.status(204).end();
  });

  router.get('/transactions', async (req, res) => {
    const q = parseOrThrow(ledgerQuery, req.query);
    const page = await ledger.listPage(db, res.locals.business.id, q);
    res.json({ transactions: page.rows, next_cursor: page.nextCursor });
  });

  return router;
}

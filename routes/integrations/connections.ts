import { Router } from 'express';
import { z } from 'zod';
import * as records from '../../services/integrations/records.ts';
import * as stripeConnect from '../../services/integrations/stripe/connect.ts';
import { stripeConfigured } from '../../services/integrations/stripe/client.ts';
import { enqueueSync } from '../../services/integrations/stripe/sync.ts';
import { NotFound } from '../../services/core/errors.ts';
import type { Db } from '../../services/core/db.ts';
import type { Config } from '../../services/core/config.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render } from '../support/render.ts';
import { flash } from '../support/session.ts';
import { requireManager, requireWriter } from '../support/tenant.ts';

const view = { page: 'pages/connections/index.njk', partial: 'partials/connections/list.njk' };

/** Providers Bursar can connect today; the others are listed as coming. */
const AVAILABLE = new Set<records.ProviderId>(['stripe']);

/** Every provider with this business's connection to it (if any): what the page and the API show. */
export async function connectionList(db: Db, config: Config, businessId: string) {
  const held = new Map((await records.forBusiness(db, businessId)).map((i) => [i.provider, i]));
  return records.PROVIDERS.map((p) => ({
    ...p,
    available: AVAILABLE.has(p.id),
    configured: p.id === 'stripe' ? stripeConfigured(config) : false,
    integration: held.get(p.id) ?? null,
  }));
}

const provider = z.object({ provider: z.enum(records.PROVIDERS.map((p) => p.id) as [records.ProviderId, ...records.ProviderId[]]) });

function availableProvider(params: unknown): records.ProviderId {
  const parsed = provider.safeParse(params);
  if (!parsed.success || !AVAILABLE.has(parsed.data.provider)) throw new NotFound('No such connection.');
  return parsed.data.provider;
}

/**
 * The business's Connections page: each provider, its state and the last sync's
 * progress (the list polls itself while a sync runs), with connect, sync now and
 * disconnect. Owners and admins connect and disconnect; any writer may sync now.
 */
export function connectionRoutes(deps: AppDeps): Router {
  const { db, config, clock } = deps;
  const router = Router({ mergeParams: true });
  const home = (businessId: string) => `/b/${businessId}/connections`;

  router.get('/connections', async (_req, res) => {
    const connections = await connectionList(db, config, res.locals.business.id);
    render(_req, res, view, { connections, syncing: connections.some((c) => c.integration?.status === 'syncing') });
  });

  router.post('/connections/:provider/authorizations', requireManager, async (req, res) => {
    availableProvider(req.params);
    redirectAfterPost(req, res, await stripeConnect.authorizeUrl(deps, res.locals.business.id, res.locals.user.id));
  });

  router.post('/connections/:provider/syncs', requireWriter, async (req, res) => {
    availableProvider(req.params);
    const integration = await records.get(db, res.locals.business.id, 'stripe');
    if (!integration || integration.status === 'disconnected') {
      flash(req, 'error', 'Connect Stripe first.');
    } else if (integration.needs_reconnect) {
      flash(req, 'error', 'Stripe no longer accepts this connection: connect it again to sync.');
    } else {
      await enqueueSync(db, clock.now(), res.locals.business.id);
      deps.jobs?.nudge();
      flash(req, 'success', 'Sync started. The bar below shows how far it has got.');
    }
    redirectAfterPost(req, res, home(res.locals.business.id));
  });

  router.post('/connections/:provider/disconnection', requireManager, async (req, res) => {
    availableProvider(req.params);
    await stripeConnect.disconnect(deps, res.locals.business.id);
    flash(req, 'success', 'Stripe disconnected. What it already brought in stays in the ledger.');
    redirectAfterPost(req, res, home(res.locals.business.id));
  });

  return router;
}

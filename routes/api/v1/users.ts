import { Router } from 'express';
import * as users from '../../../services/access/users.ts';
import * as businesses from '../../../services/access/businesses.ts';
import { toDecimal } from '../../../services/core/money.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';
import { requireManager } from '../../support/tenant.ts';

/**
 * The API speaks Stripe's money convention (an integer of minor units) and names the
 * founding date `founded_at`; the shared business schema takes the form's decimal text.
 */
function businessBody(body: Record<string, unknown>, base: Record<string, unknown> = {}) {
  const merged: Record<string, unknown> = { currency: 'USD', ...base, ...body };
  if ('founded_at' in body) merged.founded_on = body.founded_at;
  const currency = String(merged.currency ?? '').toUpperCase();
  if (typeof merged.revenue_estimate === 'number' && Number.isInteger(merged.revenue_estimate) && /^[A-Z]{3}$/.test(currency)) {
    // Written as the schema will read it: in the number format the body (or the business) says.
    merged.revenue_estimate = toDecimal(merged.revenue_estimate, currency, merged.decimal_mark === ',' ? ',' : '.');
  }
  return merged;
}

const businessJson = (b: businesses.Business) => ({
  id: b.id,
  name: b.name,
  legal_entity: b.legal_entity,
  industry: b.industry,
  currency: b.currency,
  revenue_estimate: b.revenue_estimate === null ? null : { amount: b.revenue_estimate, currency: b.currency },
  founded_at: b.founded_on,
});

/** The signed-in user's profile, and creating a business: the account's own routes, outside any business. */
export function usersApiRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();

  router.patch('/users/me', async (req, res) => {
    const input = parseOrThrow(users.profileInput, req.body);
    const user = await users.updateProfile(db, res.locals.user.id, input);
    res.json({ id: user.id, email: user.email, name: user.name, avatar_url: user.avatar_url });
  });

  router.post('/users/businesses', async (req, res) => {
    const input = parseOrThrow(businesses.businessInput, businessBody(req.body ?? {}));
    const business = await businesses.create(db, res.locals.user.id, input);
    res.status(201).json({ ...businessJson(business), role: 'owner' });
  });

  return router;
}

/** A business's own details; the business is the one the path names (owners and admins only). */
export function businessDetailsApiRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();

  router.patch('/users/businesses/:id', requireManager, async (req, res) => {
    const { business } = res.locals;
    const base = { ...business, revenue_estimate: business.revenue_estimate };
    const input = parseOrThrow(businesses.businessInput, businessBody(req.body ?? {}, base));
    res.json(businessJson(await businesses.update(db, business.id, input)));
  });

  return router;
}

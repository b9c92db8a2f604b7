import type { Clock } from '../../core/clock.ts';
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import { BadRequest } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import * as records from '../records.ts';
import { keyRing } from '../secrets.ts';
import { describe, isRevoked, StripeNotConfigured, stripeClient, stripeConfigured } from './client.ts';
import { enqueueSync } from './sync.ts';

/**
 * Stripe Connect (Standard, OAuth): the owner is sent to Stripe with a single-use
 * `state`, approves read-only access, and comes back with a code that Bursar exchanges
 * for the account's id and tokens (sealed at rest). Reads then go through the platform's
 * key with the `Stripe-Account` header.
 */
export type ConnectDeps = { db: Db; config: Config; clock: Clock; logger: Logger };

/** Stored sealed: what Stripe's token endpoint gave for the account. */
type StripeCredentials = { access_token: string; refresh_token: string | null; scope: string | null; livemode: boolean };

export const callbackUrl = (config: Config) => `${config.appUrl}/integrations/stripe/callback`;

/** Stripe's authorize page for this business, with a fresh `state` tied to the member asking. */
export async function authorizeUrl(deps: ConnectDeps, businessId: string, userId: string): Promise<string> {
  if (!stripeConfigured(deps.config)) throw new StripeNotConfigured();
  // Refuse before the round trip, not after it, when there is no key to seal the tokens with.
  keyRing(deps.config);
  const state = await records.startOAuth(deps.db, deps.clock.now(), businessId, userId, 'stripe');
  const url = new URL(`${deps.config.stripe.connectBase}/oauth/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', deps.config.stripe.connectClientId!);
  url.searchParams.set('scope', 'read_only');
  url.searchParams.set('state', state);
  url.searchParams.set('redirect_uri', callbackUrl(deps.config));
  return url.toString();
}

/**
 * Finishes the round trip: the state must be this user's and unspent; the code is
 * exchanged for the account; the connection is stored and its backfill queued.
 * Returns the business it was for.
 */
export async function complete(
  deps: ConnectDeps,
  input: { code: string; state: string; userId: string; check?: (businessId: string) => void },
): Promise<{ businessId: string; integration: records.Integration }> {
  const businessId = await records.finishOAuth(deps.db, deps.clock.now(), input.state, input.userId, 'stripe');
  input.check?.(businessId);
  const stripe = stripeClient(deps);
  let token: Awaited<ReturnType<typeof stripe.oauth.token>>;
  try {
    token = await stripe.oauth.token({ grant_type: 'authorization_code', code: input.code });
  } catch (err) {
    deps.logger.warn({ business_id: businessId, reason: describe(err) }, 'Stripe refused the authorisation code');
    throw new BadRequest('Stripe did not accept this connection (the authorisation may have expired). Please connect again.');
  }
  const accountId = token.stripe_user_id;
  if (!accountId || !token.access_token) throw new BadRequest('Stripe did not return an account for this connection. Please connect again.');
  const account = await stripe.accounts.retrieve(accountId, undefined, { stripeAccount: accountId });
  const name = account.business_profile?.name || account.settings?.dashboard?.display_name || account.email || accountId;
  const secret: StripeCredentials = { access_token: token.access_token, refresh_token: token.refresh_token ?? null, scope: token.scope ?? null, livemode: Boolean(token.livemode) };
  const integration = await records.connect(deps.db, deps.config, deps.clock.now(), { businessId, provider: 'stripe', accountId, accountName: name, secret, userId: input.userId });
  await enqueueSync(deps.db, deps.clock.now(), businessId);
  deps.logger.info({ business_id: businessId, provider: 'stripe' }, 'Stripe connected; backfill queued');
  return { businessId, integration };
}

/**
 * Revokes Bursar's access in Stripe (when it still has any) and forgets the
 * credentials. The rows already synced stay in the ledger.
 */
export async function disconnect(deps: ConnectDeps, businessId: string): Promise<void> {
  const integration = await records.get(deps.db, businessId, 'stripe');
  if (!integration || integration.status === 'disconnected') return;
  if (integration.account_id && stripeConfigured(deps.config)) {
    try {
      await stripeClient(deps).oauth.deauthorize({ client_id: deps.config.stripe.connectClientId!, stripe_user_id: integration.account_id });
    } catch (err) {
      // Already revoked on Stripe's side: nothing left to undo there.
      if (!isRevoked(err) && !/invalid_client|not connected/i.test(describe(err))) throw err;
    }
  }
  await records.disconnect(deps.db, deps.clock.now(), businessId, 'stripe');
}

import Stripe from 'stripe';
import type { Config } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors.ts';
import { providerFetch, realSleep } from '../http.ts';

/**
 * The platform's Stripe client: the official SDK, its requests sent through Bursar's
 * provider fetch (timeouts, retries that honour Retry-After, logs without secrets), so
 * the SDK's own retries are off. Calls for a connected account pass
 * `{ stripeAccount }`, which the SDK sends as the `Stripe-Account` header.
 * `STRIPE_API_BASE` points both the API and the OAuth token endpoint at a local fake.
 */
export class StripeNotConfigured extends AppError {
  status = 409;
  code = 'stripe_not_configured';
  constructor() {
    super('Stripe is not set up on this server: the operator must set STRIPE_SECRET_KEY and STRIPE_CONNECT_CLIENT_ID (see .env.example).');
  }
}

export type StripeDeps = { config: Config; logger: Logger; clock: Clock };

const clients = new WeakMap<Config, Stripe>();

export function stripeConfigured(config: Config): boolean {
  return Boolean(config.stripe.secretKey && config.stripe.connectClientId);
}

/** One client per configuration (tests each have their own), waiting between retries by the clock given. */
export function stripeClient({ config, logger, clock }: StripeDeps): Stripe {
  if (!config.stripe.secretKey) throw new StripeNotConfigured();
  const cached = clients.get(config);
  if (cached) return cached;
  const sleep = clock.sleep ? (ms: number) => clock.sleep!(ms) : realSleep;
  const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : null;
  const client = new Stripe(config.stripe.secretKey, {
    httpClient: Stripe.createFetchHttpClient(providerFetch({ provider: 'stripe', logger, timeoutMs: config.providerTimeoutMs, sleep })),
    maxNetworkRetries: 0,
    // The provider fetch times each attempt; this bounds the whole call, retries and waits included.
    timeout: config.providerTimeoutMs * 6,
    telemetry: false,
    ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
  });
  clients.set(config, client);
  return client;
}

/**
 * Whether Stripe refused because the platform may no longer act for the account (the
 * owner revoked Bursar's access, or the account is gone): only a new connection helps.
 */
export function isRevoked(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return false;
  return err.statusCode === 401 || err.statusCode === 403 || err.code === 'account_invalid' || err.type === 'StripeAuthenticationError' || err.type === 'StripePermissionError';
}

/** A sentence for the Connections page: Stripe's own message when it sent one. */
export function describe(err: unknown): string {
  if (err instanceof Stripe.errors.StripeError) return `Stripe said: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

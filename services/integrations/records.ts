import { createHash } from 'node:crypto';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import { randomToken } from '../core/crypto.ts';
import { BadRequest, Conflict } from '../core/errors.ts';
import { keyRing, open, seal } from './secrets.ts';

/** The providers Bursar knows, in the order the Connections page lists them. */
export const PROVIDERS = [
  { id: 'stripe', name: 'Stripe', brings: 'Card payments, refunds, fees, disputes and payouts, and subscription revenue (MRR).' },
  { id: 'plaid', name: 'Bank feed (Plaid)', brings: 'Bank and card account transactions and balances.' },
  { id: 'shopify', name: 'Shopify', brings: 'Orders, refunds, fees and product costs.' },
  { id: 'meta_ads', name: 'Meta Ads', brings: 'Daily campaign spend and results.' },
  { id: 'google_ads', name: 'Google Ads', brings: 'Daily campaign spend and results.' },
  { id: 'quickbooks', name: 'QuickBooks Online', brings: 'Your categorised books, pushed to your accountant.' },
] as const;
export type ProviderId = (typeof PROVIDERS)[number]['id'];

export type IntegrationStatus = 'connected' | 'syncing' | 'error' | 'needs_reconnect' | 'disconnected';

/** What a sync step reports while it runs: the Connections page's bar. */
export type Progress = { step: string; done: number; total: number | null; percent: number | null; rows: number };

export type Integration = {
  id: string;
  business_id: string;
  provider: ProviderId;
  status: IntegrationStatus;
  account_id: string | null;
  account_name: string | null;
  cursors: Record<string, unknown>;
  progress: Progress | null;
  last_synced_at: Date | null;
  last_error: string | null;
  needs_reconnect: boolean;
  connected_at: Date | null;
};

const COLUMNS = ['id', 'business_id', 'provider', 'status', 'account_id', 'account_name', 'cursors', 'progress', 'last_synced_at', 'last_error', 'needs_reconnect', 'connected_at'];

export async function forBusiness(db: Db, businessId: string): Promise<Integration[]> {
  return db('integrations').where({ business_id: businessId }).select(COLUMNS);
}

export async function get(db: Db, businessId: string, provider: ProviderId): Promise<Integration | null> {
  return (await db('integrations').where({ business_id: businessId, provider }).first(COLUMNS)) ?? null;
}

/** The live connection that holds a provider's account (webhooks name the account, not the business). */
export async function byAccount(db: Db, provider: ProviderId, accountId: string): Promise<Integration | null> {
  return (await db('integrations').where({ provider, account_id: accountId }).whereNot('status', 'disconnected').first(COLUMNS)) ?? null;
}

/** The credentials of a connection, opened; null when it holds none. */
export async function credentials<T>(db: Db, config: Config, businessId: string, provider: ProviderId): Promise<T | null> {
  const row = await db('integrations').where({ business_id: businessId, provider }).first('credentials');
  return row?.credentials ? (JSON.parse(open(keyRing(config), row.credentials)) as T) : null;
}

const OAUTH_STATE_MINUTES = 15;
const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** A single-use `state` for an OAuth round trip started by `userId` for `businessId`. */
export async function startOAuth(db: Db, now: Date, businessId: string, userId: string, provider: ProviderId): Promise<string> {
  const state = randomToken(32);
  await db('integration_states').where('expires_at', '<', now).delete();
  await db('integration_states').insert({ state_hash: hashState(state), business_id: businessId, user_id: userId, provider, expires_at: new Date(now.getTime() + OAUTH_STATE_MINUTES * 60_000) });
  return state;
}

/** Spends a `state`: the business it was issued for, only to the user it was issued to, once, before it expires. */
export async function finishOAuth(db: Db, now: Date, state: string, userId: string, provider: ProviderId): Promise<string> {
  const rows = await db('integration_states')
    .where({ state_hash: hashState(state), provider })
    .delete()
    .returning(['business_id', 'user_id', 'expires_at']);
  const row = rows[0];
  if (!row || row.user_id !== userId || new Date(row.expires_at) < now) {
    throw new BadRequest('This connection link has expired or was already used. Start again from the Connections page.');
  }
  return row.business_id;
}

/**
 * Records a new (or renewed) connection with its credentials sealed: status connected,
 * needs-reconnect cleared, cursors kept when it is the same account again (a reconnect
 * resumes where the last sync stopped) and reset for a different one. An account already
 * connected to another business is refused.
 */
export async function connect(
  db: Db,
  config: Config,
  now: Date,
  input: { businessId: string; provider: ProviderId; accountId: string; accountName: string | null; secret: unknown; userId: string },
): Promise<Integration> {
  const sealed = seal(keyRing(config), JSON.stringify(input.secret));
  return db.transaction(async (trx): Promise<Integration> => {
    const elsewhere = await trx('integrations')
      .where({ provider: input.provider, account_id: input.accountId })
      .whereNot('business_id', input.businessId)
      .whereNot('status', 'disconnected')
      .first('id');
    if (elsewhere) throw new Conflict('This account is already connected to another business in Bursar. Disconnect it there first.');
    const existing = await trx('integrations').where({ business_id: input.businessId, provider: input.provider }).forUpdate().first('id', 'account_id');
    const values = {
      status: 'connected',
      account_id: input.accountId,
      account_name: input.accountName,
      credentials: sealed,
      needs_reconnect: false,
      last_error: null,
      connected_by: input.userId,
      connected_at: now,
      updated_at: now,
    };
    if (existing) {
      const sameAccount = existing.account_id === input.accountId;
      await trx('integrations')
        .where({ id: existing.id })
        .update({ ...values, ...(sameAccount ? {} : { cursors: '{}', progress: null, last_synced_at: null }) });
    } else {
      await trx('integrations').insert({ ...values, business_id: input.businessId, provider: input.provider, created_at: now });
    }
    return trx('integrations').where({ business_id: input.businessId, provider: input.provider }).first(COLUMNS);
  });
}

/** Forgets the credentials and stops syncing; the rows already synced stay in the ledger. */
export async function disconnect(db: Db, now: Date, businessId: string, provider: ProviderId): Promise<void> {
  await db('integrations').where({ business_id: businessId, provider }).update({ status: 'disconnected', credentials: null, needs_reconnect: false, progress: null, updated_at: now });
}

export async function saveCursor(db: Db, now: Date, id: string, name: string, value: unknown): Promise<void> {
  await db('integrations')
    .where({ id })
    .update({ cursors: db.raw(`jsonb_set(cursors, ?, ?::jsonb)`, [`{${name}}`, JSON.stringify(value)]), updated_at: now });
}

export async function setProgress(db: Db, now: Date, id: string, progress: Progress | null): Promise<void> {
  await db('integrations')
    .where({ id })
    .whereNot('status', 'disconnected')
    .update({ progress: progress ? JSON.stringify(progress) : null, status: progress ? 'syncing' : 'connected', updated_at: now });
}

export async function markSynced(db: Db, now: Date, id: string): Promise<void> {
  await db('integrations').where({ id }).whereNot('status', 'disconnected').update({ status: 'connected', progress: null, last_synced_at: now, last_error: null, updated_at: now });
}

export async function markFailed(db: Db, now: Date, id: string, message: string): Promise<void> {
  await db('integrations')
    .where({ id })
    .whereNot('status', 'disconnected')
    .update({ status: 'error', last_error: message.slice(0, 500), updated_at: now });
}

/** The provider refused our credentials: syncing stops until an owner connects again. */
export async function markNeedsReconnect(db: Db, now: Date, id: string, message: string): Promise<void> {
  await db('integrations')
    .where({ id })
    .whereNot('status', 'disconnected')
    .update({ status: 'needs_reconnect', needs_reconnect: true, progress: null, last_error: message.slice(0, 500), updated_at: now });
}

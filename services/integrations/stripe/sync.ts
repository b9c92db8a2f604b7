import type Stripe from 'stripe';
import type { JobContext, JobHandle } from '../../jobs/runtime.ts';
import { enqueue } from '../../jobs/runtime.ts';
import { converterFor } from '../../ledger/exchange-rates.ts';
import { insertMany, type NewTransaction } from '../../ledger/transactions.ts';
import { systemActor } from '../../ledger/audit.ts';
import type { Db } from '../../core/db.ts';
import * as records from '../records.ts';
import { describe, isRevoked, stripeClient } from './client.ts';
import { rowsOf } from './normalize.ts';
import { recordSubscriptions } from './subscriptions.ts';

export const STRIPE_SYNC_JOB = 'stripe-sync';
const PAGE = 100;

/**
 * Where a stream of Stripe objects resumes. The backfill walks from the newest object
 * back to the oldest (`after` is the last id landed, so a run cut short resumes after
 * it); `top` is when the first page's newest object was made, the edge the incremental
 * sync later starts from (`since`, inclusive: a replayed object adds nothing).
 */
type StreamCursor = { phase: 'backfill' | 'incremental'; after: string | null; top: number | null; since: number | null };

/** Queues a sync of one business's Stripe account (one waiting per business); the Connections page shows it waiting. */
export async function enqueueSync(db: Db, now: Date, businessId: string): Promise<void> {
  await enqueue(db, now, STRIPE_SYNC_JOB, { businessId }, { singletonKey: businessId, maxAttempts: 5 });
  const integration = await records.get(db, businessId, 'stripe');
  if (integration && integration.status !== 'syncing') {
    await records.setProgress(db, now, integration.id, { step: 'Waiting to start', done: 0, total: null, percent: 0, rows: 0 });
  }
}

/** Minor units of the business's currency for a balance transaction settled in another, at the day's rate. */
async function baseConverter(db: Db, businessId: string, base: string, bts: Stripe.BalanceTransaction[]) {
  const converters = new Map<string, (amount: number, day: string) => number | null>();
  for (const currency of new Set(bts.map((b) => b.currency.toUpperCase()))) {
    if (currency !== base) converters.set(currency, await converterFor(db, businessId, currency, base, new Date().toISOString().slice(0, 10)));
  }
  return (amount: number, currency: string, day: string) => {
    const converted = converters.get(currency)?.(amount, day);
    if (converted == null) throw new Error(`There is no ${currency}→${base} exchange rate on or before ${day}; add one under Rates, then sync again.`);
    return converted;
  };
}

/** Lands balance transactions in the ledger: each row once, however often it is seen. */
export async function landBalanceTransactions(ctx: JobContext, businessId: string, bts: Stripe.BalanceTransaction[]): Promise<number> {
  if (!bts.length) return 0;
  const business = await ctx.db('businesses').where({ id: businessId }).first('currency');
  const toBase = await baseConverter(ctx.db, businessId, business.currency, bts);
  const rows: NewTransaction[] = bts.flatMap((bt) => rowsOf(bt, businessId, business.currency, toBase));
  return insertMany(ctx.db, systemActor('stripe', ctx.clock.now()), rows);
}

function startCursor(value: unknown): StreamCursor {
  const c = (value ?? {}) as Partial<StreamCursor>;
  return { phase: c.phase ?? 'backfill', after: c.after ?? null, top: c.top ?? null, since: c.since ?? null };
}

/**
 * Backfills, then keeps current, one business's Stripe account: balance transactions
 * (the ledger) and subscriptions (MRR). Each page is landed and its cursor saved before
 * the next is asked for, so a crash loses at most the page in flight, and the next run
 * resumes after the last page landed. A refusal of our access marks the connection
 * "needs reconnect" and stops without a retry.
 */
export async function syncStripe(ctx: JobContext, businessId: string, handle?: JobHandle): Promise<{ rows: number; pages: number; status: string }> {
  const integration = await records.get(ctx.db, businessId, 'stripe');
  if (!integration || integration.status === 'disconnected' || integration.needs_reconnect || !integration.account_id) {
    return { rows: 0, pages: 0, status: 'not connected' };
  }
  const stripe = stripeClient(ctx);
  const scope = { stripeAccount: integration.account_id };
  let rows = 0;
  let pages = 0;
  try {
    const account = await stripe.accounts.retrieve(integration.account_id, undefined, scope);
    const oldest = account.created ?? null;

    // Balance transactions: the ledger.
    let cursor = startCursor(integration.cursors.balance_transactions);
    for (;;) {
      const params: Stripe.BalanceTransactionListParams = { limit: PAGE, expand: ['data.source'] };
      if (cursor.after) params.starting_after = cursor.after;
      if (cursor.phase === 'incremental' && cursor.since !== null) params.created = { gte: cursor.since };
      const page = await stripe.balanceTransactions.list(params, scope);
      pages++;
      rows += await landBalanceTransactions(ctx, businessId, page.data);
      const newest = page.data[0]?.created ?? null;
      const last = page.data.at(-1);
      if (cursor.phase === 'backfill' && cursor.top === null) cursor.top = newest ?? Math.floor(ctx.clock.now().getTime() / 1000);
      if (cursor.phase === 'incremental' && newest !== null) cursor.top = Math.max(cursor.top ?? newest, newest);
      if (page.has_more && last) {
        cursor.after = last.id;
      } else {
        // Done: from now on only what is new since the newest object seen.
        cursor = { phase: 'incremental', after: null, top: cursor.top, since: cursor.top };
      }
      await records.saveCursor(ctx.db, ctx.clock.now(), integration.id, 'balance_transactions', cursor);
      const covered = last && cursor.top !== null && oldest !== null && cursor.top > oldest ? Math.min(1, (cursor.top - last.created) / (cursor.top - oldest)) : null;
      await records.setProgress(ctx.db, ctx.clock.now(), integration.id, {
        step: 'Payments, refunds, fees and payouts',
        done: pages,
        total: null,
        percent: cursor.after === null ? 100 : covered === null ? null : Math.round(covered * 100),
        rows,
      });
      await handle?.heartbeat();
      if (cursor.after === null) break;
    }

    // Subscriptions: listed once in full; webhooks and the nightly sweep keep them current.
    let subs = startCursor(integration.cursors.subscriptions);
    while (subs.phase === 'backfill') {
      // Discounts' coupons expanded: a discount given as a bare id says nothing of its size (Stripe expands at most four levels).
      const params: Stripe.SubscriptionListParams = { limit: PAGE, status: 'all', expand: ['data.discounts.source.coupon'] };
      if (subs.after) params.starting_after = subs.after;
      const page = await stripe.subscriptions.list(params, scope);
      pages++;
      await recordSubscriptions(
        ctx.db,
        businessId,
        page.data.map((subscription) => ({ subscription, observedAt: ctx.clock.now() })),
      );
      const last = page.data.at(-1);
      subs = page.has_more && last ? { ...subs, after: last.id } : { phase: 'incremental', after: null, top: null, since: null };
      await records.saveCursor(ctx.db, ctx.clock.now(), integration.id, 'subscriptions', subs);
      await records.setProgress(ctx.db, ctx.clock.now(), integration.id, { step: 'Subscriptions', done: pages, total: null, percent: subs.phase === 'incremental' ? 100 : null, rows });
      await handle?.heartbeat();
    }
    await records.markSynced(ctx.db, ctx.clock.now(), integration.id);
    return { rows, pages, status: 'synced' };
  } catch (err) {
    if (isRevoked(err)) {
      await records.markNeedsReconnect(ctx.db, ctx.clock.now(), integration.id, `Stripe no longer lets Bursar read this account (${describe(err)}). Connect it again to resume syncing.`);
      ctx.logger.warn({ business_id: businessId, provider: 'stripe' }, 'Stripe refused our access: the connection needs reconnecting');
      return { rows, pages, status: 'needs reconnect' };
    }
    await records.markFailed(ctx.db, ctx.clock.now(), integration.id, `The last sync stopped: ${describe(err)} It resumes where it stopped on the next try.`);
    throw err;
  }
}

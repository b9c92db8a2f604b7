import Stripe from 'stripe';
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import { BadRequest } from '../../core/errors.ts';
import { enqueue, type JobContext, type JobHandle } from '../../jobs/runtime.ts';
import * as records from '../records.ts';
import { describe, isRevoked, stripeClient } from './client.ts';
import { enqueueSync, landBalanceTransactions } from './sync.ts';
import { recordSubscription } from './subscriptions.ts';

export const STRIPE_EVENTS_JOB = 'stripe-events';
export const STRIPE_SWEEP_JOB = 'stripe-sweep';
/** Stripe's own default: a signature older than five minutes is a replay. */
const TOLERANCE_SECONDS = 300;
const BATCH = 200;

/**
 * Checks a delivery's signature over the raw body, before anything is parsed or
 * stored. A bad, missing or stale signature is a 400 and nothing is kept.
 */
export function verify(config: Config, raw: Buffer, signature: string | undefined, now: Date): Stripe.Event {
  if (!config.stripe.webhookSecret) throw new BadRequest('Stripe webhooks are not set up on this server (STRIPE_WEBHOOK_SECRET).');
  if (!signature) throw new BadRequest('Missing Stripe-Signature header.');
  try {
    return Stripe.webhooks.constructEvent(raw, signature, config.stripe.webhookSecret, TOLERANCE_SECONDS, undefined, now.getTime());
  } catch {
    throw new BadRequest('The Stripe signature does not match this body, or it is too old.');
  }
}

/**
 * Stores a verified event by its id (a repeat delivery is a no-op) and queues the job
 * that applies it. Returns whether it was new. Stored first, applied later: Stripe gets
 * its 2xx at once and an event is never lost to a crash in between.
 */
export async function accept(db: Db, now: Date, event: Stripe.Event): Promise<boolean> {
  const stored = await db.raw(
    `insert into webhook_events (provider, id, type, account_id, payload, received_at)
     values ('stripe', ?, ?, ?, ?::jsonb, ?) on conflict do nothing returning id`,
    [event.id, event.type, event.account ?? null, JSON.stringify(event), now],
  );
  if (!stored.rows.length) return false;
  await enqueue(db, now, STRIPE_EVENTS_JOB, {}, { singletonKey: 'stripe', maxAttempts: 5 });
  return true;
}

/** The charge an event is about, when its effect on the ledger hangs on that charge's current state. */
function chargeOf(event: Stripe.Event): string | null {
  const o = event.data.object as { object?: string; id?: string; charge?: string | { id: string } | null };
  if (o.object === 'charge') return o.id ?? null;
  if (o.object === 'refund' || o.object === 'dispute') return typeof o.charge === 'string' ? o.charge : (o.charge?.id ?? null);
  return null;
}

/**
 * Lands what one charge has settled so far, read from Stripe now rather than from the
 * events: its payment, each refund (and a refund that failed), each dispute's
 * withdrawal and reversal. Whatever order the events came in, the ledger ends as the
 * charge's current state says, and each row lands once.
 */
async function settleCharge(ctx: JobContext, stripe: Stripe, businessId: string, account: string, chargeId: string): Promise<number> {
  const scope = { stripeAccount: account };
  const charge = await stripe.charges.retrieve(chargeId, { expand: ['balance_transaction'] }, scope);
  const bts: Stripe.BalanceTransaction[] = [];
  if (charge.balance_transaction && typeof charge.balance_transaction === 'object') bts.push({ ...charge.balance_transaction, source: charge as unknown as Stripe.BalanceTransaction['source'] });
  for await (const refund of stripe.refunds.list({ charge: chargeId, limit: 100, expand: ['data.balance_transaction'] }, scope)) {
    if (refund.balance_transaction && typeof refund.balance_transaction === 'object') bts.push({ ...refund.balance_transaction, source: refund as unknown as Stripe.BalanceTransaction['source'] });
  }
  for await (const dispute of stripe.disputes.list({ charge: chargeId, limit: 100 }, scope)) bts.push(...dispute.balance_transactions);
  return landBalanceTransactions(ctx, businessId, bts);
}

type StoredEvent = { id: string; account_id: string | null; payload: Stripe.Event };

/**
 * Applies stored events not yet applied, oldest first, in batches. A charge named by
 * several events of a batch is read once. Events of an account Bursar does not hold
 * (or of the platform itself) are marked applied with nothing to do.
 */
export async function applyPending(ctx: JobContext, handle?: JobHandle): Promise<{ applied: number; rows: number }> {
  let applied = 0;
  let rows = 0;
  for (;;) {
    const batch: StoredEvent[] = await ctx
      .db('webhook_events')
      .where({ provider: 'stripe' })
      .whereNull('applied_at')
      .orderBy([{ column: 'received_at' }, { column: 'id' }])
      .limit(BATCH)
      .select('id', 'account_id', 'payload');
    if (!batch.length) break;
    const byAccount = new Map<string, StoredEvent[]>();
    for (const e of batch) {
      const key = e.account_id ?? '';
      byAccount.set(key, [...(byAccount.get(key) ?? []), e]);
    }
    for (const [account, events] of byAccount) {
      const integration = account ? await records.byAccount(ctx.db, 'stripe', account) : null;
      if (integration && !integration.needs_reconnect) rows += await applyForAccount(ctx, integration, events);
      await ctx
        .db('webhook_events')
        .where({ provider: 'stripe' })
        .whereIn(
          'id',
          events.map((e) => e.id),
        )
        .update({ applied_at: ctx.clock.now(), last_error: null });
      applied += events.length;
      await handle?.heartbeat();
    }
  }
  return { applied, rows };
}

async function applyForAccount(ctx: JobContext, integration: records.Integration, events: StoredEvent[]): Promise<number> {
  const account = integration.account_id!;
  const stripe = stripeClient(ctx);
  const charges = new Set<string>();
  let needsSync = false;
  for (const { payload: event } of events) {
    if (event.type === 'account.application.deauthorized') {
      await records.markNeedsReconnect(ctx.db, ctx.clock.now(), integration.id, 'Bursar’s access was revoked in Stripe. Connect the account again to resume syncing.');
      return 0;
    }
    if (event.type.startsWith('customer.subscription.')) {
      await recordSubscription(ctx.db, integration.business_id, event.data.object as Stripe.Subscription, new Date(event.created * 1000));
      continue;
    }
    const charge = chargeOf(event);
    if (charge) charges.add(charge);
    else if (event.type.startsWith('payout.') || event.type.startsWith('balance.') || event.type.startsWith('topup.')) needsSync = true;
  }
  let rows = 0;
  try {
    for (const charge of charges) rows += await settleCharge(ctx, stripe, integration.business_id, account, charge);
  } catch (err) {
    if (!isRevoked(err)) throw err;
    await records.markNeedsReconnect(ctx.db, ctx.clock.now(), integration.id, `Stripe no longer lets Bursar read this account (${describe(err)}). Connect it again to resume syncing.`);
    return rows;
  }
  // Payouts and other balance movements arrive through the incremental sync, which reads them in order.
  if (needsSync) await enqueueSync(ctx.db, ctx.clock.now(), integration.business_id);
  return rows;
}

/**
 * The nightly sweep: every connected account's events of the last three days (Stripe's
 * retry window), those whose delivery failed included, stored if Bursar never received
 * them, then applied. A missed webhook costs a day at most, never a row.
 */
export async function sweep(ctx: JobContext): Promise<{ accounts: number; recovered: number }> {
  const stripe = stripeClient(ctx);
  const integrations = await ctx.db('integrations').where({ provider: 'stripe', needs_reconnect: false }).whereNot('status', 'disconnected').whereNotNull('account_id').select('id', 'account_id');
  const since = Math.floor(ctx.clock.now().getTime() / 1000) - 3 * 86_400;
  let recovered = 0;
  for (const integration of integrations) {
    try {
      for await (const event of stripe.events.list({ created: { gte: since }, limit: 100 }, { stripeAccount: integration.account_id })) {
        if (await accept(ctx.db, ctx.clock.now(), { ...event, account: event.account ?? integration.account_id })) recovered++;
      }
    } catch (err) {
      if (!isRevoked(err)) throw err;
      await records.markNeedsReconnect(ctx.db, ctx.clock.now(), integration.id, `Stripe no longer lets Bursar read this account (${describe(err)}). Connect it again to resume syncing.`);
    }
  }
  if (recovered) await applyPending(ctx);
  return { accounts: integrations.length, recovered };
}

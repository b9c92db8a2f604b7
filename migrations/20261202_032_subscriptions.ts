import type { Knex } from 'knex';

/**
 * Subscriptions a business sells through Stripe, for the subscription metrics (MRR and
 * its movements, customer churn, ARPU; services/reports/subscriptions.ts).
 *
 * - subscription_observations: every state of a subscription Bursar has seen, one row
 *   per subscription and moment observed (a backfill's sync time, a webhook event's
 *   time), so recording the same state twice is a no-op. Holds the figures worked out
 *   from the object (its MRR, when it started, when its trial or its life ends) and the
 *   object itself, so a changed definition can be worked out again.
 * - subscription_mrr_history: each subscription's normalised MRR as a step function, one
 *   row per day a value took effect, in the subscription's currency and in the
 *   business's (null when no exchange rate reaches that day). Rebuilt from all of the
 *   subscription's observations whenever one is added, so the order in which states
 *   arrive never changes it. Its changes move the business's data version (the
 *   statement triggers of 20261129_020), so the cached dashboard and the stored figures
 *   that read MRR follow a recorded subscription like a ledger change.
 */
const REFERENCING: Record<string, string> = {
  insert: 'new table as new_rows',
  delete: 'old table as old_rows',
  update: 'new table as new_rows old table as old_rows',
};

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('subscription_observations', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('subscription_id').notNullable();
    t.timestamp('observed_at', { useTz: true }).notNullable();
    t.text('customer_id').notNullable();
    t.text('status').notNullable();
    t.text('currency').notNullable();
    t.bigint('mrr').notNullable();
    t.jsonb('facts').notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['business_id', 'subscription_id', 'observed_at']);
  });
  await db.raw('alter table subscription_observations add constraint subscription_observations_mrr check (mrr >= 0)');

  await db.schema.createTable('subscription_mrr_history', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('subscription_id').notNullable();
    t.date('effective_on').notNullable();
    t.text('customer_id').notNullable();
    t.text('currency').notNullable();
    t.bigint('mrr').notNullable();
    t.bigint('mrr_base');
    t.primary(['business_id', 'subscription_id', 'effective_on']);
  });
  await db.raw('alter table subscription_mrr_history add constraint subscription_mrr_history_mrr check (mrr >= 0)');
  await db.raw('create index subscription_mrr_history_by_day on subscription_mrr_history (business_id, effective_on)');
  for (const [op, referencing] of Object.entries(REFERENCING)) {
    await db.raw(`create trigger data_version_${op} after ${op} on subscription_mrr_history referencing ${referencing} for each statement execute function bump_data_version()`);
  }
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('subscription_mrr_history');
  await db.schema.dropTableIfExists('subscription_observations');
}

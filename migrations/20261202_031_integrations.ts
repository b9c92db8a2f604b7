import type { Knex } from 'knex';

/**
 * Connections to the providers that bring a business's money in by themselves.
 *
 * - integrations: one per business and provider. `credentials` holds only ciphertext
 *   (services/integrations/secrets.ts: AES-256-GCM, the key's id inside); `cursors` is
 *   where each sync step resumes; `progress` is what the Connections page's bar shows.
 *   `needs_reconnect` is set when the provider refuses our credentials, and cleared by a
 *   new connection. One provider account belongs to one business at a time.
 * - integration_states: the single-use `state` of an OAuth round trip (stored as its
 *   hash), tying the provider's callback to the member who started it.
 * - webhook_events: every verified delivery, stored by the provider's event id before
 *   anything else is done with it, so a repeat is a no-op; `applied_at` is set by the
 *   job that applies it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('integrations', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('provider').notNullable();
    t.text('status').notNullable().defaultTo('connected');
    t.text('account_id');
    t.text('account_name');
    t.text('credentials');
    t.jsonb('cursors').notNullable().defaultTo('{}');
    t.jsonb('progress');
    t.timestamp('last_synced_at', { useTz: true });
    t.text('last_error');
    t.boolean('needs_reconnect').notNullable().defaultTo(false);
    t.uuid('connected_by').references('users.id').onDelete('SET NULL');
    t.timestamp('connected_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['business_id', 'provider']);
  });
  await db.raw(`alter table integrations add constraint integrations_provider check (provider in ('stripe','plaid','shopify','meta_ads','google_ads','quickbooks'))`);
  await db.raw(`alter table integrations add constraint integrations_status check (status in ('connected','syncing','error','needs_reconnect','disconnected'))`);
  await db.raw(`create unique index integrations_one_business_per_account on integrations (provider, account_id) where status <> 'disconnected' and account_id is not null`);

  await db.schema.createTable('integration_states', (t) => {
    t.text('state_hash').primary();
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('provider').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  await db.schema.createTable('webhook_events', (t) => {
    t.text('provider').notNullable();
    t.text('id').notNullable();
    t.text('type').notNullable();
    t.text('account_id');
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.timestamp('applied_at', { useTz: true });
    t.text('last_error');
    t.primary(['provider', 'id']);
  });
  await db.raw('create index webhook_events_unapplied on webhook_events (received_at) where applied_at is null');
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('webhook_events');
  await db.schema.dropTable('integration_states');
  await db.schema.dropTable('integrations');
}

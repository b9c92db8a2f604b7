import type { Knex } from 'knex';

/**
 * Email digests.
 *
 * - digest_preferences: how often a member wants a business's digest. No row means the
 *   default (weekly for owners, off for everyone else); the row goes with the membership.
 * - digest_sends: one row per recipient, business, period kind and period start, written
 *   before the mail leaves, so a retry, a second scheduler or a re-run finds it and sends
 *   nothing new. `content` is the digest as computed when the period was planned, so a
 *   retry sends the same figures. `status` moves pending → sending → sent, or failed (cancelled when the recipient stopped wanting it first);
 *   a row found in `sending` was cut off mid-send and is never sent again.
 * - outbox.headers: the headers a message carries (List-Unsubscribe), kept with the
 *   development outbox's copy like SendGrid gets them.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('digest_preferences', (t) => {
    t.uuid('business_id').notNullable();
    t.uuid('user_id').notNullable();
    t.text('frequency').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['business_id', 'user_id']);
    t.foreign(['business_id', 'user_id']).references(['business_id', 'user_id']).inTable('memberships').onDelete('CASCADE');
  });
  await db.raw(`alter table digest_preferences add constraint digest_preferences_frequency check (frequency in ('daily','weekly','off'))`);

  await db.schema.createTable('digest_sends', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('period_kind').notNullable();
    t.date('period_start').notNullable();
    t.date('period_end').notNullable();
    t.text('to_address').notNullable();
    t.jsonb('content').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.text('via');
    t.text('message_id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true });
    t.unique(['user_id', 'business_id', 'period_kind', 'period_start']);
    t.index(['business_id', 'period_kind', 'period_start']);
  });
  await db.raw(`alter table digest_sends add constraint digest_sends_kind check (period_kind in ('daily','weekly'))`);
  await db.raw(`alter table digest_sends add constraint digest_sends_status check (status in ('pending','sending','sent','failed','cancelled'))`);
  await db.raw(`alter table digest_sends add constraint digest_sends_period check (period_start <= period_end)`);

  await db.schema.alterTable('outbox', (t) => {
    t.jsonb('headers').notNullable().defaultTo('{}');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('outbox', (t) => {
    t.dropColumn('headers');
  });
  await db.schema.dropTableIfExists('digest_sends');
  await db.schema.dropTableIfExists('digest_preferences');
}

import type { Knex } from 'knex';

/** Mail written here instead of sent when no SendGrid key is configured; read at /dev/outbox. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('outbox', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.text('to_address').notNullable();
    t.text('subject').notNullable();
    t.text('template').notNullable();
    t.text('html').notNullable();
    t.text('text').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('outbox');
}

import type { Knex } from 'knex';

/**
 * Secrets this instance made for itself on its first start, when the environment gave
 * none (SESSION_SECRET, JWT_SECRET outside production): kept with the data, so every
 * process and every restart signs with the same ones, and no two installs share one.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('instance_secrets', (t) => {
    t.text('name').primary();
    t.text('value').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  await db.raw(`alter table instance_secrets add constraint instance_secrets_long check (length(value) >= 32)`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('instance_secrets');
}

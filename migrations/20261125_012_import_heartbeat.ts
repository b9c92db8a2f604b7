import type { Knex } from 'knex';

/** A running import touches this as it reads, so a run whose process died can be told from a slow one. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('import_batches', (t) => {
    t.timestamp('heartbeat_at', { useTz: true });
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('import_batches', (t) => {
    t.dropColumn('heartbeat_at');
  });
}

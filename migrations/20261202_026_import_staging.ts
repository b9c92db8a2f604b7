import type { Knex } from 'knex';

/**
 * Imports as jobs. The upload lives in the receipt store (file_key), so any host can
 * run it; rows are read in chunks into import_staged_rows, each chunk committed with
 * the line it reached (staged_through), so a run cut off resumes where it stopped.
 * Each staged row carries its fingerprint (external_id), and `repeat` when the file gave
 * its bank id before. The ledger receives the staged rows in one transaction at the end
 * on PostgreSQL; on embedded PGlite in chunks (landed_through), so pages keep answering.
 * The options the run was started with travel on the batch.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('import_batches', (t) => {
    t.text('file_key');
    t.integer('staged_through').notNullable().defaultTo(0);
    t.integer('staged_rows').notNullable().defaultTo(0);
    t.integer('landed_through').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    t.boolean('dry_run').notNullable().defaultTo(false);
    t.boolean('skip_invalid').notNullable().defaultTo(false);
  });
  await db.raw(`alter table import_batches drop constraint import_batches_status`);
  await db.raw(`alter table import_batches add constraint import_batches_status check (status in ('pending','queued','running','done','failed','undone'))`);
  // Unlogged: staged rows are a scratch copy of a file still in the store, so a database crash
  // that empties them (staged_rows then disagrees) only means reading the file again, and the staging writes skip the WAL.
  await db.raw(`create unlogged table import_staged_rows (
    batch_id uuid not null references import_batches(id) on delete cascade,
    line int not null,
    occurred_on date not null,
    amount bigint not null,
    currency char(3) not null,
    amount_base bigint not null,
    description text not null,
    counterparty text,
    category_id uuid,
    bank_id text,
    match_key text not null,
    external_id text not null,
    repeat boolean not null default false,
    primary key (batch_id, line)
  )`);
  // A chunk's fingerprints count the same key, and look for the same bank id, among the rows staged before it.
  await db.raw('create index import_staged_rows_key on import_staged_rows (batch_id, match_key) where bank_id is null');
  await db.raw('create index import_staged_rows_bank on import_staged_rows (batch_id, bank_id) where bank_id is not null');
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('import_staged_rows');
  await db.raw(`alter table import_batches drop constraint import_batches_status`);
  await db.raw(`alter table import_batches add constraint import_batches_status check (status in ('pending','running','done','failed','undone'))`);
  await db.schema.alterTable('import_batches', (t) => {
    for (const c of ['file_key', 'staged_through', 'staged_rows', 'landed_through', 'failed_count', 'dry_run', 'skip_invalid']) t.dropColumn(c);
  });
}

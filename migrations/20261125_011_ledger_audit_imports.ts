import type { Knex } from 'knex';

/**
 * Issue 5: the ledger's audit trail, CSV import batches and their saved column
 * mappings, possible duplicates awaiting review, and categorisation rules.
 * The ledger itself gains only `import_batch_id`, so a whole import can be undone;
 * deletions stay real DELETEs (the audit keeps the before-image) so the reports'
 * triggers on `transactions` need no knowledge of this issue.
 */
export async function up(db: Knex): Promise<void> {
  // Append-only: rows are inserted, never updated or deleted by the app. No foreign
  // key to transactions, because the trail must outlive the row it describes.
  await db.schema.createTable('ledger_audit', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('transaction_id').notNullable();
    t.text('action').notNullable();
    t.uuid('actor_id').references('users.id').onDelete('SET NULL');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.jsonb('before');
    t.jsonb('after');
    t.index(['business_id', 'transaction_id', 'id']);
  });
  await db.raw(`alter table ledger_audit add constraint ledger_audit_action check (action in ('create','update','delete','restore'))`);

  await db.schema.createTable('import_batches', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.text('status').notNullable().defaultTo('pending');
    t.text('filename').notNullable().defaultTo('');
    t.text('header_key');
    t.jsonb('detected');
    t.jsonb('mapping');
    // The uploaded file waits here between preview and commit, and is removed after.
    t.text('file_path');
    t.bigint('file_size').notNullable().defaultTo(0);
    t.bigint('bytes_read').notNullable().defaultTo(0);
    t.integer('total_rows').notNullable().defaultTo(0);
    t.integer('processed_rows').notNullable().defaultTo(0);
    t.integer('imported').notNullable().defaultTo(0);
    t.integer('skipped_duplicates').notNullable().defaultTo(0);
    t.integer('possible_duplicates').notNullable().defaultTo(0);
    t.jsonb('failed').notNullable().defaultTo('[]');
    t.bigint('total_amount').notNullable().defaultTo(0);
    t.specificType('currency', 'char(3)');
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['business_id', 'created_at']);
  });
  await db.raw(`alter table import_batches add constraint import_batches_status check (status in ('pending','running','done','failed','undone'))`);

  await db.schema.alterTable('transactions', (t) => {
    t.uuid('import_batch_id').references('import_batches.id').onDelete('SET NULL');
  });
  await db.raw('create index transactions_import_batch on transactions (import_batch_id) where import_batch_id is not null');

  // The expense list: keyset pages by date and by amount, and totals of a filter read
  // from the index alone (the amounts ride along), never from the table's heap.
  await db.raw(`create index transactions_expenses_day on transactions (business_id, occurred_on desc, id desc) include (amount_base, category_id) where kind = 'expense'`);
  await db.raw(`create index transactions_expenses_amount on transactions (business_id, amount_base, id) where kind = 'expense'`);

  await db.schema.createTable('import_profiles', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('header_key').notNullable();
    t.jsonb('mapping').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(['business_id', 'header_key']);
  });

  await db.schema.createTable('possible_duplicates', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('batch_id').references('import_batches.id').onDelete('CASCADE');
    t.uuid('transaction_id').notNullable();
    t.uuid('matches_id').notNullable();
    t.text('status').notNullable().defaultTo('open');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['business_id', 'status']);
  });

  await db.schema.createTable('categorization_rules', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.integer('position').notNullable().defaultTo(0);
    t.text('field').notNullable().defaultTo('description');
    t.text('match').notNullable().defaultTo('contains');
    t.text('pattern').notNullable();
    t.bigint('min_amount');
    t.bigint('max_amount');
    t.uuid('category_id').references('categories.id').onDelete('CASCADE');
    t.text('set_counterparty');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['business_id', 'position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('categorization_rules');
  await db.schema.dropTableIfExists('possible_duplicates');
  await db.schema.dropTableIfExists('import_profiles');
  await db.raw('drop index if exists transactions_expenses_amount');
  await db.raw('drop index if exists transactions_expenses_day');
  await db.raw('drop index if exists transactions_import_batch');
  await db.schema.alterTable('transactions', (t) => {
    t.dropColumn('import_batch_id');
  });
  await db.schema.dropTableIfExists('import_batches');
  await db.schema.dropTableIfExists('ledger_audit');
}

import type { Knex } from 'knex';

/**
 * Issue 5: receipts attached to expenses. The bytes live in a ReceiptStore (disk or
 * S3-compatible); this table says which business and ledger row they belong to.
 * No foreign key to transactions: deleting an expense is a real DELETE that the audit
 * trail can restore with the same id, so its receipts stay here (and in the store)
 * and reappear with it, as the audit rows do.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('receipts', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('ledger_entry_id').notNullable();
    t.text('storage_key').notNullable().unique();
    // Sniffed from the bytes, never taken from the client.
    t.text('content_type').notNullable();
    t.bigint('byte_size').notNullable();
    t.specificType('sha256', 'char(64)').notNullable();
    t.text('original_name').notNullable().defaultTo('');
    t.text('thumbnail_key');
    t.uuid('uploaded_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    // The expense list looks up each row's receipts through this index.
    t.index(['business_id', 'ledger_entry_id', 'created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('receipts');
}

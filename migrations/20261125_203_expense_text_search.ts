import type { Knex } from 'knex';

/**
 * Trigram indexes for the expense list's text filter ("contains", in description or
 * counterparty): without them a rare word scans every expense of the business. Where
 * the server lacks pg_trgm the filter still works, by a scan.
 */
export async function up(db: Knex): Promise<void> {
  const available = await db('pg_available_extensions').where({ name: 'pg_trgm' }).first('name');
  if (!available) return;
  await db.raw('create extension if not exists pg_trgm');
  await db.raw(`create index if not exists transactions_expenses_description_trgm on transactions using gin (description gin_trgm_ops) where kind = 'expense'`);
  await db.raw(`create index if not exists transactions_expenses_counterparty_trgm on transactions using gin (counterparty gin_trgm_ops) where kind = 'expense'`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index if exists transactions_expenses_description_trgm');
  await db.raw('drop index if exists transactions_expenses_counterparty_trgm');
}

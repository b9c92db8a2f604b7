import type { Knex } from 'knex';

/**
 * pg_trgm for the expense list's text filter ("contains", in description or counterparty):
 * the dictionary of distinct expense texts (migration 206) is searched by trigram, so a
 * rare word is found without reading every expense. Where the server lacks pg_trgm the
 * filter still works, by a scan of the dictionary.
 */
export async function up(db: Knex): Promise<void> {
  const available = await db('pg_available_extensions').where({ name: 'pg_trgm' }).first('name');
  if (!available) return;
  await db.raw('create extension if not exists pg_trgm');
}

export async function down(): Promise<void> {
  // The extension may serve others; it stays.
}

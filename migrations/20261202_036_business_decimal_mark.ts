import type { Knex } from 'knex';

/**
 * How the business writes numbers: "1,234.56" ('.') or "1.234,56" (','). Forms and the
 * API read typed amounts with it, and forms show amounts back the same way. Businesses
 * that exist keep the decimal point they were typing with.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('businesses', (t) => {
    t.text('decimal_mark').notNullable().defaultTo('.');
  });
  await knex.raw(`alter table businesses add constraint businesses_decimal_mark check (decimal_mark in ('.', ','))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('businesses', (t) => {
    t.dropColumn('decimal_mark');
  });
}

import type { Knex } from 'knex';

/**
 * The forecast's track record (rolling-origin backtests) per business, as computed on a
 * day from the ledger at a data version: some thirty simulations, so the page and the
 * API reuse it until the day or the ledger moves. `model` names the forecast model's
 * version, so a changed model never shows an old model's record. One row per business.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('forecast_backtests', (t) => {
    t.uuid('business_id').primary().references('businesses.id').onDelete('CASCADE');
    t.date('as_of').notNullable();
    t.bigint('data_version').notNullable();
    t.text('model').notNullable();
    t.jsonb('record').notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('forecast_backtests');
}

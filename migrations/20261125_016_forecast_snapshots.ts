import type { Knex } from 'knex';

/**
 * The cash forecast from a day over a horizon, as computed then: the agent's
 * cash_forecast tool reads it instead of running 10,000 paths per question.
 * The hourly compute-metrics job refreshes today's; a reader recomputes one older
 * than an hour. One row per business, day and horizon, replaced in place.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('forecast_snapshots', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('as_of').notNullable();
    t.integer('horizon_days').notNullable();
    t.jsonb('forecast').notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable();
    t.primary(['business_id', 'as_of', 'horizon_days']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('forecast_snapshots');
}

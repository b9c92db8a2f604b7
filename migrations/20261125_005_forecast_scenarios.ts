import type { Knex } from 'knex';

/**
 * What-if scenarios a business saves to compare against its baseline forecast.
 * Percentages are stored as fractions (0.1 = +10 %); money in minor units of the
 * business's currency.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('forecast_scenarios', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.decimal('revenue_growth', 8, 4).notNullable().defaultTo(0);
    t.decimal('ad_spend_change', 8, 4).notNullable().defaultTo(0);
    t.decimal('price_change', 8, 4).notNullable().defaultTo(0);
    t.bigint('hire_monthly_cost').notNullable().defaultTo(0);
    t.date('hire_from');
    t.bigint('loan_amount').notNullable().defaultTo(0);
    t.date('loan_on');
    t.bigint('loan_monthly_repayment').notNullable().defaultTo(0);
    t.integer('loan_months').notNullable().defaultTo(0);
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['business_id', 'created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('forecast_scenarios');
}

import type { Knex } from 'knex';

/**
 * A business's own exchange rates (typed or imported by its owners), apart from the
 * reference rates a job syncs: one business's rate must never convert another's money.
 * Rates people entered before this were shared by every business; each business gets
 * its own copy of them, so no conversion changes, and the shared table keeps only the
 * reference rates (synced, or the demo's).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('business_exchange_rates', (t) => {
    t.uuid('business_id').notNullable().references('id').inTable('businesses').onDelete('CASCADE');
    t.specificType('base', 'char(3)').notNullable();
    t.specificType('quote', 'char(3)').notNullable();
    t.date('day').notNullable();
    t.decimal('rate', 20, 10).notNullable();
    t.text('source').notNullable().defaultTo('manual');
    t.primary(['business_id', 'base', 'quote', 'day']);
  });
  await db.raw(`alter table business_exchange_rates
    add constraint business_exchange_rates_rate check (rate > 0),
    add constraint business_exchange_rates_codes check (base ~ '^[A-Z]{3}$' and quote ~ '^[A-Z]{3}$' and base <> quote),
    add constraint business_exchange_rates_source check (source in ('manual', 'csv'))`);
  await db.raw(`insert into business_exchange_rates (business_id, base, quote, day, rate, source)
    select b.id, r.base, r.quote, r.day, r.rate, r.source from exchange_rates r cross join businesses b
    where r.source in ('manual', 'csv') and r.rate > 0 and r.base <> r.quote`);
  await db.raw(`delete from exchange_rates where source in ('manual', 'csv')`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw(`insert into exchange_rates (base, quote, day, rate, source)
    select distinct on (base, quote, day) base, quote, day, rate, source from business_exchange_rates order by base, quote, day
    on conflict do nothing`);
  await db.schema.dropTable('business_exchange_rates');
}

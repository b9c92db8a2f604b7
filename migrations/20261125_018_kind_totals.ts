import type { Knex } from 'knex';
import { DELTA_SOURCES, triggerBody } from './20261125_004_report_aggregates.ts';

/**
 * All-time totals per business and kind, kept by the same triggers as the daily ones.
 * A cash balance through a day is then the all-time total less the few days after it,
 * instead of a sum over every day the business has existed (the dashboard's largest
 * query on a three-year ledger).
 */
const kindTotals = (op: string) => `
  insert into kind_totals as k (business_id, kind, amount, entries)
  select c.business_id, c.kind, sum(c.sign * c.amount_base), sum(c.sign)
  from (${DELTA_SOURCES[op]}) c
  where exists (select 1 from businesses b where b.id = c.business_id)
  group by 1, 2
  on conflict (business_id, kind) do update set amount = k.amount + excluded.amount, entries = k.entries + excluded.entries;`;

async function replaceFunctions(db: Knex, more: (op: string) => string): Promise<void> {
  for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
    await db.raw(`create or replace function transactions_aggregate_${op.toLowerCase()}() returns trigger language plpgsql as $$${triggerBody(op, more(op))}$$`);
  }
}

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('kind_totals', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.bigint('amount').notNullable().defaultTo(0);
    t.integer('entries').notNullable().defaultTo(0);
    t.primary(['business_id', 'kind']);
  });
  await db.raw(`insert into kind_totals (business_id, kind, amount, entries)
                select business_id, kind, sum(amount_base), count(*) from transactions group by 1, 2`);
  await replaceFunctions(db, kindTotals);
}

export async function down(db: Knex): Promise<void> {
  await replaceFunctions(db, () => '');
  await db.schema.dropTable('kind_totals');
}

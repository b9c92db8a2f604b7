import type { Knex } from 'knex';

/**
 * Daily aggregates of the ledger that report pages read instead of the ledger, so a
 * page's cost does not grow with the ledger. They are kept current by statement-level
 * triggers with transition tables on `transactions`: every writer (a form, an import's
 * bulk INSERT … SELECT, a sync, a DELETE) updates them in its own transaction without
 * knowing they exist. A missing category or product is stored as the nil uuid, because
 * a primary key cannot hold NULL.
 */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export const DELTA_SOURCES: Record<string, string> = {
  INSERT: `select *, 1 as sign from new_rows`,
  DELETE: `select *, -1 as sign from old_rows`,
  UPDATE: `select *, 1 as sign from new_rows union all select *, -1 as sign from old_rows`,
};

// Rows of a business deleted in the same statement (the cascade from businesses) are
// skipped: the aggregate rows go with the business. `more` is SQL a later migration adds
// to the same function (it may use DELTA(op) as its source).
export function triggerBody(op: string, more = ''): string {
  return `
begin
  insert into daily_totals as d (business_id, day, kind, category_id, amount, quantity, entries)
  select c.business_id, c.occurred_on, c.kind, coalesce(c.category_id, '${NIL_UUID}'::uuid),
         sum(c.sign * c.amount_base), sum(c.sign * coalesce(c.quantity, 0)), sum(c.sign)
  from (${DELTA_SOURCES[op]}) c
  where exists (select 1 from businesses b where b.id = c.business_id)
  group by 1, 2, 3, 4
  on conflict (business_id, day, kind, category_id) do update
    set amount = d.amount + excluded.amount, quantity = d.quantity + excluded.quantity, entries = d.entries + excluded.entries;

  insert into product_daily_totals as p (business_id, day, product_id, kind, amount, quantity, entries)
  select c.business_id, c.occurred_on, c.product_id, c.kind,
         sum(c.sign * c.amount_base), sum(c.sign * coalesce(c.quantity, 0)), sum(c.sign)
  from (${DELTA_SOURCES[op]}) c
  where c.product_id is not null and exists (select 1 from businesses b where b.id = c.business_id)
  group by 1, 2, 3, 4
  on conflict (business_id, day, product_id, kind) do update
    set amount = p.amount + excluded.amount, quantity = p.quantity + excluded.quantity, entries = p.entries + excluded.entries;
${more}
  return null;
end`;
}

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('daily_totals', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('day').notNullable();
    t.text('kind').notNullable();
    t.uuid('category_id').notNullable();
    t.bigint('amount').notNullable().defaultTo(0);
    t.bigint('quantity').notNullable().defaultTo(0);
    t.integer('entries').notNullable().defaultTo(0);
    t.primary(['business_id', 'day', 'kind', 'category_id']);
  });
  await db.schema.createTable('product_daily_totals', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('day').notNullable();
    t.uuid('product_id').notNullable();
    t.text('kind').notNullable();
    t.bigint('amount').notNullable().defaultTo(0);
    t.bigint('quantity').notNullable().defaultTo(0);
    t.integer('entries').notNullable().defaultTo(0);
    t.primary(['business_id', 'day', 'product_id', 'kind']);
  });
  for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
    const name = `transactions_aggregate_${op.toLowerCase()}`;
    const referencing = op === 'INSERT' ? 'new table as new_rows' : op === 'DELETE' ? 'old table as old_rows' : 'new table as new_rows old table as old_rows';
    await db.raw(`create function ${name}() returns trigger language plpgsql as $$${triggerBody(op)}$$`);
    await db.raw(`create trigger ${name} after ${op} on transactions referencing ${referencing} for each statement execute function ${name}()`);
  }

  await db.schema.createTable('metric_snapshots', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('as_of').notNullable();
    t.jsonb('metrics').notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(['business_id', 'as_of']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('metric_snapshots');
  for (const op of ['insert', 'update', 'delete']) {
    await db.raw(`drop trigger if exists transactions_aggregate_${op} on transactions`);
    await db.raw(`drop function if exists transactions_aggregate_${op}()`);
  }
  await db.schema.dropTableIfExists('product_daily_totals');
  await db.schema.dropTableIfExists('daily_totals');
}

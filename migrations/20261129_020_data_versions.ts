import type { Knex } from 'knex';

/**
 * A counter per business that moves whenever anything a report shows changes: the
 * ledger (and with it the daily aggregates), categories, products, ad campaigns and
 * their stats, readiness scores. It is read with the signed-in user, so a rendered
 * report can be reused for as long as the counter has not moved, at no extra query.
 *
 * Statement-level triggers do the counting in the writer's own transaction, so the
 * new count and the change commit together. The counter is the first thing a ledger
 * statement locks (the trigger is named to fire before the aggregate triggers), so
 * every writer takes the same locks in the same order.
 */
export const SOURCE_TABLES = ['transactions', 'categories', 'products', 'ad_campaigns', 'ad_campaign_stats', 'readiness_scores'] as const;

const bump = (source: string) => `
    insert into data_versions as v (business_id, version)
    select distinct c.business_id, 1 from (${source}) c
    where exists (select 1 from businesses b where b.id = c.business_id)
    order by 1
    on conflict (business_id) do update set version = v.version + 1;`;

// PL/pgSQL plans a statement when it first runs it, so each branch may name only the
// transition tables its own event has.
const BUMP_FUNCTION = `
create function bump_data_version() returns trigger language plpgsql as $$
begin
  if TG_OP = 'INSERT' then${bump('select business_id from new_rows')}
  elsif TG_OP = 'DELETE' then${bump('select business_id from old_rows')}
  else${bump('select business_id from new_rows union select business_id from old_rows')}
  end if;
  return null;
end $$`;

const REFERENCING: Record<string, string> = {
  insert: 'new table as new_rows',
  delete: 'old table as old_rows',
  update: 'new table as new_rows old table as old_rows',
};

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('data_versions', (t) => {
    t.uuid('business_id').primary().references('businesses.id').onDelete('CASCADE');
    t.bigint('version').notNullable().defaultTo(0);
  });
  await db.raw(BUMP_FUNCTION);
  for (const table of SOURCE_TABLES) {
    for (const [op, referencing] of Object.entries(REFERENCING)) {
      await db.raw(`create trigger data_version_${op} after ${op} on ${table} referencing ${referencing} for each statement execute function bump_data_version()`);
    }
  }
}

export async function down(db: Knex): Promise<void> {
  for (const table of SOURCE_TABLES) {
    for (const op of Object.keys(REFERENCING)) await db.raw(`drop trigger if exists data_version_${op} on ${table}`);
  }
  await db.raw('drop function if exists bump_data_version()');
  await db.schema.dropTable('data_versions');
}

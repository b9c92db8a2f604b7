import type { Knex } from 'knex';

/**
 * Figures that refresh themselves. data_versions gains input_version, which moves with
 * every change to what the stored figures are computed from (everything its version
 * counts but the readiness scores, which are themselves a stored figure). figure_states
 * holds the input version the stored figures were last computed at: a worker refreshes
 * every business whose two numbers differ, and a page can tell a figure is behind.
 */
const bump = (source: string, withInput: boolean) =>
  withInput
    ? `
    insert into data_versions as v (business_id, version, input_version)
    select distinct c.business_id, 1, case when TG_TABLE_NAME = 'readiness_scores' then 0 else 1 end from (${source}) c
    where exists (select 1 from businesses b where b.id = c.business_id)
    order by 1
    on conflict (business_id) do update set version = v.version + 1,
      input_version = v.input_version + case when TG_TABLE_NAME = 'readiness_scores' then 0 else 1 end;`
    : `
    insert into data_versions as v (business_id, version)
    select distinct c.business_id, 1 from (${source}) c
    where exists (select 1 from businesses b where b.id = c.business_id)
    order by 1
    on conflict (business_id) do update set version = v.version + 1;`;

const bumpFunction = (withInput: boolean) => `
create or replace function bump_data_version() returns trigger language plpgsql as $$
begin
  if TG_OP = 'INSERT' then${bump('select business_id from new_rows', withInput)}
  elsif TG_OP = 'DELETE' then${bump('select business_id from old_rows', withInput)}
  else${bump('select business_id from new_rows union select business_id from old_rows', withInput)}
  end if;
  return null;
end $$`;

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('data_versions', (t) => {
    t.bigint('input_version').notNullable().defaultTo(0);
  });
  await db.raw('update data_versions set input_version = version');
  await db.raw(bumpFunction(true));
  await db.schema.createTable('figure_states', (t) => {
    t.uuid('business_id').primary().references('businesses.id').onDelete('CASCADE');
    t.bigint('input_version').notNullable();
    t.timestamp('refreshed_at', { useTz: true }).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('figure_states');
  await db.raw(bumpFunction(false));
  await db.schema.alterTable('data_versions', (t) => {
    t.dropColumn('input_version');
  });
}

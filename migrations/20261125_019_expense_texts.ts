import type { Knex } from 'knex';

/**
 * The distinct descriptions and counterparties of each business's expenses. A ledger
 * repeats its texts (the same shop, the same landlord), so a text filter first finds
 * the few distinct texts that contain the words, then the rows that carry exactly
 * those, by index. A trigger adds new texts as rows arrive; a text no row carries any
 * more matches nothing, so deletes need no upkeep.
 */
const addTexts = (source: string) => `
begin
  insert into expense_texts (business_id, field, text)
  select distinct business_id, 'description', description from ${source} where kind = 'expense' and description is not null
  union
  select distinct business_id, 'counterparty', counterparty from ${source} where kind = 'expense' and counterparty is not null
  on conflict do nothing;
  return null;
end`;

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('expense_texts', (t) => {
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('field').notNullable();
    t.text('text').notNullable();
    t.primary(['business_id', 'field', 'text']);
  });
  await db.raw(`insert into expense_texts (business_id, field, text)
    select distinct business_id, 'description', description from transactions where kind = 'expense' and description is not null
    union
    select distinct business_id, 'counterparty', counterparty from transactions where kind = 'expense' and counterparty is not null`);
  // Where pg_trgm is installed (migration 204), the dictionary itself is searched by trigram.
  const trgm = await db('pg_extension').where({ extname: 'pg_trgm' }).first('extname');
  if (trgm) await db.raw('create index expense_texts_trgm on expense_texts using gin (text gin_trgm_ops)');
  await db.raw(`create index transactions_expenses_description on transactions (business_id, description) where kind = 'expense'`);
  await db.raw(`create index transactions_expenses_counterparty on transactions (business_id, counterparty) where kind = 'expense'`);
  for (const op of ['insert', 'update']) {
    await db.raw(`create function transactions_expense_texts_${op}() returns trigger language plpgsql as $$${addTexts('new_rows')}$$`);
    await db.raw(
      `create trigger transactions_expense_texts_${op} after ${op} on transactions referencing new table as new_rows for each statement execute function transactions_expense_texts_${op}()`,
    );
  }
}

export async function down(db: Knex): Promise<void> {
  for (const op of ['insert', 'update']) {
    await db.raw(`drop trigger if exists transactions_expense_texts_${op} on transactions`);
    await db.raw(`drop function if exists transactions_expense_texts_${op}()`);
  }
  await db.raw('drop index if exists transactions_expenses_description');
  await db.raw('drop index if exists transactions_expenses_counterparty');
  await db.schema.dropTable('expense_texts');
}

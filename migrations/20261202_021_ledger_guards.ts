import type { Knex } from 'knex';

/**
 * Issue 22: the ledger guards itself, so a writer that forgets cannot weaken it.
 *
 * - The audit trail of `transactions` is written by statement-level triggers over
 *   transition tables: every writer (a form, an import's INSERT … SELECT, a sync, a
 *   rule's UPDATE, a cascade from a deleted category, psql) is audited, one entry per
 *   row, set-based so a 100,000-row import stays one statement. Who acted comes from
 *   `bursar.actor` (a user id, or `system:<name>` for jobs and syncs), set with
 *   set_config(…, true) in the writer's transaction (services/ledger/audit.ts `actAs`);
 *   a write with no actor set is still audited, labelled with the database role.
 * - `ledger_audit` is append-only: UPDATE, DELETE and TRUNCATE are refused, except the
 *   deletes of a business being deleted (its trail goes with it) and the users FK's
 *   `on delete set null` (a removed user's name leaves the trail, the entries stay).
 * - Ledger rows can reference only their own business's categories, products, ad
 *   campaigns and import batches (composite foreign keys).
 * - CHECKs on currency codes, exchange rates and the enumerations that had none.
 */

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

// Entries go through one INSERT per statement; `source` yields business_id,
// transaction_id, action, before, after. Rows of a business deleted in the same
// statement (the cascade from businesses) are skipped: their trail goes with it.
const appendEntries = (source: string) => `
    insert into ledger_audit (business_id, transaction_id, action, actor_id, actor_label, at, before, after)
    select s.business_id, s.transaction_id, s.action, actor_uuid, label, at_, s.before, s.after
    from (${source}) s;`;

// PL/pgSQL plans a statement when it first runs it, so each branch may name only the
// transition tables its own event has. An UPDATE whose only change is updated_at (a
// form saved unchanged) records nothing: the trail is of changes to the row's content.
const AUDIT_FUNCTION = `
create function ledger_audit_transactions() returns trigger language plpgsql as $$
declare
  actor text := nullif(current_setting('bursar.actor', true), '');
  at_ timestamptz := coalesce(nullif(current_setting('bursar.at', true), '')::timestamptz, now());
  actor_uuid uuid;
  label text;
begin
  if actor ~ '${UUID}' then
    actor_uuid := actor::uuid;
  else
    label := coalesce(actor, 'db:' || session_user);
  end if;
  if TG_OP = 'INSERT' then${appendEntries(`
      select n.business_id, n.id as transaction_id,
             case when current_setting('bursar.audit_action', true) = 'restore' then 'restore' else 'create' end as action,
             null::jsonb as before, to_jsonb(n) as after
      from new_rows n`)}
  elsif TG_OP = 'DELETE' then${appendEntries(`
      select o.business_id, o.id as transaction_id, 'delete' as action, to_jsonb(o) as before, null::jsonb as after
      from old_rows o
      where exists (select 1 from businesses b where b.id = o.business_id)`)}
  else
    -- An entry describes one row of one business for good; moving it would orphan its trail.
    if exists (select 1 from new_rows n where not exists (select 1 from old_rows o where o.id = n.id and o.business_id = n.business_id)) then
      raise exception 'a ledger row keeps its id and business; delete it and add a new one instead'
        using errcode = 'check_violation';
    end if;${appendEntries(`
      select n.business_id, n.id as transaction_id, 'update' as action, o.image as before, n.image as after
      from (select id, to_jsonb(o) as image from old_rows o) o
      join (select id, business_id, to_jsonb(n) as image from new_rows n) n on n.id = o.id
      where o.image - 'updated_at' is distinct from n.image - 'updated_at'
        and exists (select 1 from businesses b where b.id = n.business_id)`)}
  end if;
  return null;
end $$`;

const GUARD_FUNCTION = `
create function ledger_audit_append_only() returns trigger language plpgsql as $$
begin
  if TG_OP = 'TRUNCATE' then
    raise exception 'ledger_audit is append-only' using errcode = 'insufficient_privilege';
  elsif TG_OP = 'DELETE' then
    if exists (select 1 from old_rows o join businesses b on b.id = o.business_id) then
      raise exception 'ledger_audit is append-only: entries are never deleted, except with their business'
        using errcode = 'insufficient_privilege';
    end if;
  elsif exists (
    select 1 from new_rows n left join old_rows o on o.id = n.id
    where o.id is null
       or n.actor_id is not null
       or to_jsonb(n) - 'actor_id' is distinct from to_jsonb(o) - 'actor_id'
       or exists (select 1 from users u where u.id = o.actor_id)
  ) then
    raise exception 'ledger_audit is append-only: entries are never changed'
      using errcode = 'insufficient_privilege';
  end if;
  return null;
end $$`;

const AUDIT_TRIGGERS: Record<string, string> = {
  insert: 'new table as new_rows',
  update: 'new table as new_rows old table as old_rows',
  delete: 'old table as old_rows',
};

/** transactions' business-scoped references: column, parent table, on-delete action today. */
const LEDGER_REFERENCES = [
  { column: 'category_id', parent: 'categories' },
  { column: 'product_id', parent: 'products' },
  { column: 'campaign_id', parent: 'ad_campaigns' },
  { column: 'import_batch_id', parent: 'import_batches' },
] as const;

/** Other business-scoped references made composite; the on-delete action stays `cascade`. */
const CASCADING_REFERENCES = [
  { table: 'categorization_rules', column: 'category_id', parent: 'categories' },
  { table: 'ad_campaign_stats', column: 'campaign_id', parent: 'ad_campaigns' },
  { table: 'possible_duplicates', column: 'batch_id', parent: 'import_batches' },
] as const;

const CURRENCY = '^[A-Z]{3}$';
const CURRENCY_COLUMNS: [table: string, column: string][] = [
  ['businesses', 'currency'],
  ['products', 'currency'],
  ['ad_campaign_stats', 'currency'],
  ['transactions', 'currency'],
  ['exchange_rates', 'base'],
  ['exchange_rates', 'quote'],
  ['import_batches', 'currency'],
];

/** Enumerations with no CHECK until now: name → [table, condition]. */
const CHECKS: Record<string, [table: string, condition: string]> = {
  exchange_rates_rate_positive: ['exchange_rates', 'rate > 0'],
  categorization_rules_field: ['categorization_rules', `field in ('description','counterparty','any')`],
  categorization_rules_match: ['categorization_rules', `match in ('contains','regex')`],
  possible_duplicates_status: ['possible_duplicates', `status in ('open','kept','merged')`],
  readiness_scores_tier: ['readiness_scores', `tier in ('not_ready','emerging','ready','strong')`],
  job_runs_trigger: ['job_runs', `trigger in ('schedule','manual')`],
  expense_texts_field: ['expense_texts', `field in ('description','counterparty')`],
  ledger_audit_actor: ['ledger_audit', 'actor_id is null or actor_label is null'],
};

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('ledger_audit', (t) => {
    // Jobs and syncs act as `system:<name>`, which is no user: actor_id stays null for them.
    t.text('actor_label');
  });

  // Rows imported before this migration have no entry of their own (their batch stood
  // for it); give each one now, so the history has one shape. The image is the row as
  // it was imported: the before-image of its first audited change, else the row today.
  await db.raw(`
    insert into ledger_audit (business_id, transaction_id, action, actor_id, at, before, after)
    select t.business_id, t.id, 'create', b.created_by, coalesce(b.finished_at, b.created_at), null,
           coalesce((select a.before from ledger_audit a where a.business_id = t.business_id and a.transaction_id = t.id order by a.id limit 1), to_jsonb(t))
    from transactions t join import_batches b on b.id = t.import_batch_id
    where not exists (select 1 from ledger_audit a where a.business_id = t.business_id and a.transaction_id = t.id and a.action in ('create', 'restore'))`);

  await db.raw(AUDIT_FUNCTION);
  for (const [op, referencing] of Object.entries(AUDIT_TRIGGERS)) {
    await db.raw(`create trigger ledger_audit_${op} after ${op} on transactions referencing ${referencing} for each statement execute function ledger_audit_transactions()`);
  }

  await db.raw(GUARD_FUNCTION);
  await db.raw(
    `create trigger ledger_audit_no_update after update on ledger_audit referencing new table as new_rows old table as old_rows for each statement execute function ledger_audit_append_only()`,
  );
  await db.raw(`create trigger ledger_audit_no_delete after delete on ledger_audit referencing old table as old_rows for each statement execute function ledger_audit_append_only()`);
  await db.raw(`create trigger ledger_audit_no_truncate before truncate on ledger_audit for each statement execute function ledger_audit_append_only()`);

  for (const parent of new Set([...LEDGER_REFERENCES, ...CASCADING_REFERENCES].map((r) => r.parent))) {
    await db.raw(`alter table ${parent} add constraint ${parent}_business_id_id unique (business_id, id)`);
  }
  for (const { column, parent } of LEDGER_REFERENCES) {
    await db.raw(`alter table transactions drop constraint transactions_${column}_foreign`);
    // A plain `set null` would null business_id too; the column list keeps it.
    await db.raw(`alter table transactions add constraint transactions_${column}_foreign
      foreign key (business_id, ${column}) references ${parent} (business_id, id) on delete set null (${column})`);
  }
  for (const { table, column, parent } of CASCADING_REFERENCES) {
    await db.raw(`alter table ${table} drop constraint ${table}_${column}_foreign`);
    await db.raw(`alter table ${table} add constraint ${table}_${column}_foreign
      foreign key (business_id, ${column}) references ${parent} (business_id, id) on delete cascade`);
  }

  for (const [table, column] of CURRENCY_COLUMNS) {
    await db.raw(`alter table ${table} add constraint ${table}_${column}_code check (${column} ~ '${CURRENCY}')`);
  }
  for (const [name, [table, condition]] of Object.entries(CHECKS)) {
    await db.raw(`alter table ${table} add constraint ${name} check (${condition})`);
  }
}

export async function down(db: Knex): Promise<void> {
  for (const [name, [table]] of Object.entries(CHECKS)) await db.raw(`alter table ${table} drop constraint if exists ${name}`);
  for (const [table, column] of CURRENCY_COLUMNS) await db.raw(`alter table ${table} drop constraint if exists ${table}_${column}_code`);

  for (const { table, column, parent } of CASCADING_REFERENCES) {
    await db.raw(`alter table ${table} drop constraint ${table}_${column}_foreign`);
    await db.raw(`alter table ${table} add constraint ${table}_${column}_foreign foreign key (${column}) references ${parent} (id) on delete cascade`);
  }
  for (const { column, parent } of LEDGER_REFERENCES) {
    await db.raw(`alter table transactions drop constraint transactions_${column}_foreign`);
    await db.raw(`alter table transactions add constraint transactions_${column}_foreign foreign key (${column}) references ${parent} (id) on delete set null`);
  }
  for (const parent of new Set([...LEDGER_REFERENCES, ...CASCADING_REFERENCES].map((r) => r.parent))) {
    await db.raw(`alter table ${parent} drop constraint ${parent}_business_id_id`);
  }

  for (const op of ['update', 'delete', 'truncate']) await db.raw(`drop trigger if exists ledger_audit_no_${op} on ledger_audit`);
  await db.raw('drop function if exists ledger_audit_append_only()');
  for (const op of Object.keys(AUDIT_TRIGGERS)) await db.raw(`drop trigger if exists ledger_audit_${op} on transactions`);
  await db.raw('drop function if exists ledger_audit_transactions()');
  // Entries the triggers wrote stay: the application wrote the same ones before this
  // migration. Only the system actors' labels go with their column.
  await db.schema.alterTable('ledger_audit', (t) => {
    t.dropColumn('actor_label');
  });
}

import type { Knex } from 'knex';

/**
 * - A categorisation rule can be switched off without losing it: a disabled rule keeps its
 *   place in the order but is skipped on import and on demand.
 * - A new business's dashboard shows a first-run checklist until every step is done or
 *   a member hides it (checklist_dismissed_at).
 * - The trash (deleted expenses, newest first) reads a business's deletions from the audit
 *   trail; a partial index keeps that read off the trail's creates and updates.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('categorization_rules', (t) => {
    t.boolean('enabled').notNullable().defaultTo(true);
  });
  await db.schema.alterTable('businesses', (t) => {
    t.timestamp('checklist_dismissed_at', { useTz: true });
  });
  await db.raw(`create index ledger_audit_deletions on ledger_audit (business_id, id desc) where action = 'delete'`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('drop index if exists ledger_audit_deletions');
  await db.schema.alterTable('businesses', (t) => {
    t.dropColumn('checklist_dismissed_at');
  });
  await db.schema.alterTable('categorization_rules', (t) => {
    t.dropColumn('enabled');
  });
}

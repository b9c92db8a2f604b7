import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // One score per business per day, with the components and the figures behind them.
  await db.schema.createTable('readiness_scores', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.date('as_of').notNullable();
    t.integer('score').notNullable();
    t.text('tier').notNullable();
    t.jsonb('components').notNullable();
    t.jsonb('inputs').notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable();
    t.unique(['business_id', 'as_of']);
  });

  // A recommendation lives while its condition holds: (business, rule, subject) has at most
  // one live row (open, accepted or dismissed); when the condition clears it is resolved.
  await db.schema.createTable('recommendations', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('rule').notNullable();
    t.text('subject').notNullable().defaultTo('');
    t.text('priority').notNullable();
    t.text('title').notNullable();
    t.text('why').notNullable();
    t.text('action').notNullable();
    t.jsonb('figures').notNullable().defaultTo('{}');
    t.text('status').notNullable().defaultTo('open');
    t.uuid('status_changed_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.index(['business_id', 'status']);
  });
  await db.raw(`alter table recommendations add constraint recommendations_priority check (priority in ('high','medium','low'))`);
  await db.raw(`alter table recommendations add constraint recommendations_status check (status in ('open','accepted','dismissed','done','resolved'))`);
  await db.raw(`create unique index recommendations_live on recommendations (business_id, rule, subject) where status in ('open','accepted','dismissed')`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('recommendations');
  await db.schema.dropTableIfExists('readiness_scores');
}

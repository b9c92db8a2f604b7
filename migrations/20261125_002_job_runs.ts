import type { Knex } from 'knex';

/** One row per scheduled or manual run of a job: when, how it ended, and why it failed. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('job_runs', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.text('job').notNullable();
    t.text('trigger').notNullable().defaultTo('schedule');
    t.text('status').notNullable().defaultTo('running');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.text('error');
    t.jsonb('result');
    t.index(['job', 'started_at']);
  });
  await db.raw(`alter table job_runs add constraint job_runs_status check (status in ('running','succeeded','failed','skipped'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('job_runs');
}

import type { Knex } from 'knex';

/**
 * The durable job queue. A row is one piece of work to do: queued (waiting until
 * run_after), running (leased by one worker until locked_until), then succeeded or
 * failed for good once its attempts are spent. Every attempt is also a job_runs row.
 *
 * - singleton_key: at most one queued and one running job per (name, key): one
 *   refresh per business, one run per import.
 * - dedupe_key: at most one job ever per (name, key): a scheduled tick, enqueued by
 *   however many schedulers, runs once.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('job_queue', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable();
    t.jsonb('payload').notNullable().defaultTo('{}');
    t.text('singleton_key');
    t.text('dedupe_key');
    t.text('state').notNullable().defaultTo('queued');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable().defaultTo(3);
    t.timestamp('run_after', { useTz: true }).notNullable();
    t.text('locked_by');
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.text('trigger').notNullable().defaultTo('event');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
  });
  await db.raw(`alter table job_queue add constraint job_queue_state check (state in ('queued','running','succeeded','failed','cancelled'))`);
  await db.raw(`alter table job_queue add constraint job_queue_attempts check (attempts >= 0 and max_attempts >= 1)`);
  await db.raw(`create unique index job_queue_one_queued on job_queue (name, singleton_key) where state = 'queued' and singleton_key is not null`);
  await db.raw(`create unique index job_queue_one_running on job_queue (name, singleton_key) where state = 'running' and singleton_key is not null`);
  await db.raw('create unique index job_queue_dedupe on job_queue (name, dedupe_key) where dedupe_key is not null');
  // What a worker asks for: the due work, oldest first.
  await db.raw(`create index job_queue_due on job_queue (run_after, id) where state in ('queued','running')`);
  await db.raw('create index job_queue_history on job_queue (created_at desc)');

  await db.schema.alterTable('job_runs', (t) => {
    t.bigInteger('queue_id');
    t.integer('attempt');
  });
  await db.raw(`alter table job_runs drop constraint job_runs_status`);
  await db.raw(`alter table job_runs add constraint job_runs_status check (status in ('running','succeeded','failed','skipped','interrupted'))`);
  // An attempt of a job enqueued by a change (an import, a refresh) is an `event` run.
  await db.raw(`alter table job_runs drop constraint job_runs_trigger`);
  await db.raw(`alter table job_runs add constraint job_runs_trigger check (trigger in ('schedule','manual','event'))`);
  await db.raw(`alter table job_queue add constraint job_queue_trigger check (trigger in ('schedule','manual','event'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.raw(`alter table job_runs drop constraint job_runs_trigger`);
  await db.raw(`alter table job_runs add constraint job_runs_trigger check (trigger in ('schedule','manual'))`);
  await db.raw(`alter table job_runs drop constraint job_runs_status`);
  await db.raw(`alter table job_runs add constraint job_runs_status check (status in ('running','succeeded','failed','skipped'))`);
  await db.schema.alterTable('job_runs', (t) => {
    t.dropColumn('queue_id');
    t.dropColumn('attempt');
  });
  await db.schema.dropTable('job_queue');
}

import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Magic-link and password-reset tokens: only their SHA-256 is kept, each usable once.
  await db.schema.createTable('email_tokens', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('purpose').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['user_id']);
  });
  await db.raw(`alter table email_tokens add constraint email_tokens_purpose check (purpose in ('magic_link','password_reset'))`);

  // Fixed-window counters shared by every web process (pm2 cluster, several hosts).
  await db.schema.createTable('rate_limits', (t) => {
    t.text('key').primary();
    t.integer('points').notNullable();
    t.timestamp('resets_at', { useTz: true }).notNullable().index();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('rate_limits');
  await db.schema.dropTableIfExists('email_tokens');
}

import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Refresh tokens of the JSON API. Every token of one sign-in shares a family, so a
  // rotated token presented again (stolen) revokes the whole family at once.
  await db.schema.createTable('refresh_tokens', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('family_id').notNullable().index();
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('rotated_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
  });

  // Personal API tokens for scripts and MCP clients: shown once, kept as a hash.
  await db.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('scope').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['user_id']);
  });
  await db.raw(`alter table api_tokens add constraint api_tokens_scope check (scope in ('read','write'))`);

  await db.schema.alterTable('users', (t) => {
    t.text('avatar_url');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('avatar_url');
  });
  await db.schema.dropTableIfExists('api_tokens');
  await db.schema.dropTableIfExists('refresh_tokens');
}

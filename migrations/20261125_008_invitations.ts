import type { Knex } from 'knex';

/** Invitations to a business by email; the link's token is stored only as its hash. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('invitations', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('role').notNullable();
    t.text('token_hash').notNullable().unique();
    t.uuid('invited_by').references('users.id').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['business_id']);
  });
  await db.raw(`alter table invitations add constraint invitations_role check (role in ('owner','admin','member','viewer'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('invitations');
}

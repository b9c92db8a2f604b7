import type { Knex } from 'knex';

/** The Google account linked to a user: Google's stable `sub`, and the address it had. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.text('google_sub').unique();
    t.text('google_email');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('google_email');
    t.dropColumn('google_sub');
  });
}

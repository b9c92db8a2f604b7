import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // One row per knowledge/*.md file: the content hash decides whether it is chunked again.
  await db.schema.createTable('knowledge_documents', (t) => {
    t.text('doc_id').primary();
    t.text('title').notNullable();
    t.text('content_hash').notNullable();
    t.integer('chunk_count').notNullable();
    t.timestamp('indexed_at', { useTz: true }).notNullable();
  });
  // Chunks of ~512 tokens; the tsvector is generated, so it can never drift from the text.
  await db.schema.createTable('knowledge_chunks', (t) => {
    t.bigIncrements('id');
    t.text('doc_id').notNullable().references('knowledge_documents.doc_id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.text('heading').notNullable().defaultTo('');
    t.text('content').notNullable();
    t.unique(['doc_id', 'position']);
  });
  await db.raw(
    `alter table knowledge_chunks add column search tsvector generated always as (setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', content), 'B')) stored`,
  );
  await db.raw('create index knowledge_chunks_search on knowledge_chunks using gin (search)');

  // A conversation belongs to one user in one business: another member never sees it.
  await db.schema.createTable('conversations', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('title').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['business_id', 'user_id', 'updated_at']);
  });
  // The user's message is stored before any model call; an assistant reply starts 'pending'
  // and ends 'complete' or 'failed' (with the error the user sees and a retry).
  await db.schema.createTable('messages', (t) => {
    t.uuid('id').primary().defaultTo(db.raw('gen_random_uuid()'));
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('business_id').notNullable().references('businesses.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.text('content').notNullable().defaultTo('');
    t.jsonb('tool_calls');
    t.jsonb('links');
    t.jsonb('suggestions');
    t.text('analyst');
    t.text('status').notNullable().defaultTo('complete');
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  // Insertion order, since an injected clock can give a question and its reply the same instant.
  await db.raw('alter table messages add column seq bigint generated always as identity');
  await db.raw('create index messages_conversation_seq on messages (conversation_id, seq)');
  await db.raw(`alter table messages add constraint messages_role check (role in ('user','assistant','tool'))`);
  await db.raw(`alter table messages add constraint messages_status check (status in ('pending','streaming','complete','failed'))`);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('messages');
  await db.schema.dropTableIfExists('conversations');
  await db.schema.dropTableIfExists('knowledge_chunks');
  await db.schema.dropTableIfExists('knowledge_documents');
}

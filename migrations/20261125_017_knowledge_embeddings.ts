import type { Knex } from 'knex';

/** The embeddings table; also created later by the knowledge indexer if pgvector arrives after this migration. */
export const CREATE_EMBEDDINGS_TABLE = `create table if not exists knowledge_embeddings (
    chunk_id bigint primary key references knowledge_chunks (id) on delete cascade,
    model text not null,
    content_hash text not null,
    embedding vector not null,
    embedded_at timestamptz not null
  )`;

/**
 * Embeddings of the knowledge chunks, for search by meaning beside full-text search,
 * when the pgvector extension can be had: PGlite ships it; a PostgreSQL server has it
 * when Debian's postgresql-NN-pgvector is installed. Without it nothing is created and
 * the knowledge base stays full-text only (the knowledge service checks for the table).
 * The same steps run again when the index is built (knowledge.ensureVectorStore), so
 * installing pgvector later needs no new migration.
 */
export async function up(db: Knex): Promise<void> {
  const available = await db.raw(`select 1 from pg_available_extensions where name = 'vector'`);
  if (!available.rows.length) return;
  try {
    // In a savepoint: a role that may not create extensions leaves the migration itself intact.
    await db.transaction((trx) => trx.raw('create extension if not exists vector'));
  } catch (err) {
    process.emitWarning(`pgvector is installed but could not be enabled (${(err as Error).message}); the knowledge base stays full-text only.`);
    return;
  }
  await db.raw(CREATE_EMBEDDINGS_TABLE);
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('knowledge_embeddings');
}

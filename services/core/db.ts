import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import ClientPgLite from 'knex-pglite';
import type { Config } from './config.ts';
import { migrationSource } from '../../migrations/index.ts';

export type Db = Knex;

// One representation on both backends: int8 (money in minor units, counts) as a JS number,
// `date` as its YYYY-MM-DD text so no time zone can shift a ledger day.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
const pgliteParsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.DATE]: (v: string) => v,
};

// Extensions offered to PGlite, each loaded only once a migration runs `create extension`:
// pg_trgm for the expense text filter, pgvector for the knowledge base's embeddings.
const extensions = { pg_trgm, vector };

/** A PostgreSQL pool when DATABASE_URL is set, else embedded PGlite persisted in PGLITE_DIR. */
export function createDb(config: Config): Db {
  if (config.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: config.databaseUrl,
      pool: { min: 0, max: config.databasePoolMax },
    });
  }
  mkdirSync(config.pgliteDir, { recursive: true });
  return pgliteDb(new PGlite(config.pgliteDir, { parsers: pgliteParsers, extensions }));
}

/** An in-memory PGlite database, for tests and benchmarks. */
export function createMemoryDb(): Db {
  return pgliteDb(new PGlite({ parsers: pgliteParsers, extensions }));
}

function pgliteDb(pglite: PGlite): Db {
  // knex-pglite must get a connection *function*: a shared instance in the config
  // object is deep-cloned by knex and blows up memory.
  return knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
  });
}

export function isEmbedded(db: Db): boolean {
  return (db.client as { pglite?: unknown }).pglite !== undefined || db.client.config.client !== 'pg';
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

/** True when every migration this build knows of has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}

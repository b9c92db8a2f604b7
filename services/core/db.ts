import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import ClientPgLite from 'knex-pglite';
import type { Config } from './config.ts';

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

/**
 * A PostgreSQL pool when DATABASE_URL is set, else embedded PGlite persisted in PGLITE_DIR.
 * PGlite is opened (initdb on a first start) before knex sees it, so a slow first
 * start is never mistaken for a pool that cannot hand out its one connection.
 */
export async function createDb(config: Config): Promise<Db> {
  if (config.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: config.databaseUrl,
      pool: { min: 0, max: config.databasePoolMax },
    });
  }
  mkdirSync(config.pgliteDir, { recursive: true });
  return pgliteDb(await PGlite.create(config.pgliteDir, { parsers: pgliteParsers, extensions }));
}

/**
 * An in-memory PGlite database, for tests and benchmarks; `from` is a data directory
 * dumped by `dumpMemoryDb` (a migrated template), else it starts empty.
 */
export async function createMemoryDb(from?: Blob): Promise<Db> {
  return pgliteDb(await PGlite.create({ parsers: pgliteParsers, extensions, loadDataDir: from }));
}

/** The whole data directory of an embedded database, as `createMemoryDb` loads it. */
export async function dumpMemoryDb(db: Db): Promise<Blob> {
  const pglite = (db.client.config.connection as () => { pglite: PGlite })().pglite;
  return pglite.dumpDataDir('none');
}

/**
 * knex-pglite names a delete's command "DEL", which knex's PostgreSQL response handling
 * does not know, so `.delete()` answered a result object (always truthy) instead of the
 * number of rows deleted: "nothing deleted, so 404" checks passed on PGlite for rows of
 * another business. Named DELETE, it answers the count, as on a server.
 */
class PgliteClient extends (ClientPgLite as unknown as { new (config: unknown): { processResponse(obj: unknown, runner: unknown): unknown } }) {
  override processResponse(obj: { method?: string }, runner: unknown): unknown {
    return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

function pgliteDb(pglite: PGlite): Db {
  // knex-pglite must get a connection *function*: a shared instance in the config
  // object is deep-cloned by knex and blows up memory.
  return knexFactory({
    client: PgliteClient as unknown as typeof Knex.Client,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
    // One connection, shared by every query of the process: a query waits for the one
    // before it however long that takes (a large import, a loaded machine), never fails for it.
    acquireConnectionTimeout: 24 * 60 * 60 * 1000,
  });
}

export function isEmbedded(db: Db): boolean {
  return (db.client as { pglite?: unknown }).pglite !== undefined || db.client.config.client !== 'pg';
}

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/**
 * Every file of the migrations folder, applied in the order of their names: a new migration is a
 * new file whose name sorts last. Loaded by path, so no runtime module depends on a
 * migration's code and a migration, once shipped, never changes.
 */
const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () =>
    readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => f.slice(0, -3))
      .sort(),
  getMigrationName: (name) => name,
  getMigration: (name) => import(pathToFileURL(path.join(MIGRATIONS_DIR, `${name}.ts`)).href),
};

/**
 * Names the migrations had while they were listed by hand in an order of their own;
 * renamed so their file names sort in the order they always ran. A database migrated
 * before the rename has its records renamed, then nothing runs twice.
 */
const RENAMED_MIGRATIONS: [string, string][] = [
  ['20261125_401_readiness', '20261125_003_readiness'],
  ['20261125_301_report_aggregates', '20261125_004_report_aggregates'],
  ['20261125_302_forecast_scenarios', '20261125_005_forecast_scenarios'],
  ['20261125_101_outbox', '20261125_006_outbox'],
  ['20261125_102_email_tokens_and_rate_limits', '20261125_007_email_tokens_and_rate_limits'],
  ['20261125_103_invitations', '20261125_008_invitations'],
  ['20261125_104_api_tokens', '20261125_009_api_tokens'],
  ['20261125_105_google_accounts', '20261125_010_google_accounts'],
  ['20261125_201_ledger_audit_imports', '20261125_011_ledger_audit_imports'],
  ['20261125_202_import_heartbeat', '20261125_012_import_heartbeat'],
  ['20261125_203_receipts', '20261125_013_receipts'],
  ['20261125_501_agent', '20261125_014_agent'],
  ['20261125_204_expense_text_search', '20261125_015_expense_text_search'],
  ['20261125_502_forecast_snapshots', '20261125_016_forecast_snapshots'],
  ['20261125_503_knowledge_embeddings', '20261125_017_knowledge_embeddings'],
  ['20261125_205_kind_totals', '20261125_018_kind_totals'],
  ['20261125_206_expense_texts', '20261125_019_expense_texts'],
  ['20261129_303_data_versions', '20261129_020_data_versions'],
];

async function renameOldMigrationRecords(db: Db): Promise<void> {
  if (!(await db.schema.hasTable('knex_migrations'))) return;
  const values = RENAMED_MIGRATIONS.map(() => '(?, ?)').join(', ');
  await db.raw(`update knex_migrations m set name = r.new from (values ${values}) r(old, new) where m.name = r.old`, RENAMED_MIGRATIONS.flat());
}

export async function migrateLatest(db: Db): Promise<string[]> {
  await renameOldMigrationRecords(db);
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

/**
 * The migrations this build needs that the database has not had, in the order they run. A
 * database may also hold migrations this build does not know (a newer release migrated it
 * while this one still runs): that is expected during a deploy and is not a gap.
 */
export async function missingMigrations(db: Db): Promise<string[]> {
  const known = await migrationSource.getMigrations([]);
  if (!(await db.schema.hasTable('knex_migrations'))) return known;
  const renamed = new Map(RENAMED_MIGRATIONS);
  const applied = new Set((await db('knex_migrations').select('name')).map((r: { name: string }) => renamed.get(r.name) ?? r.name));
  return known.filter((name) => !applied.has(name));
}

/** True when every migration this build knows of has been applied (more may be: see missingMigrations). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  return (await missingMigrations(db)).length === 0;
}

/** PostgreSQL's SQLSTATE classes and codes that mean "the server is not there right now". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * True when an error says the database cannot be reached (refused, restarting, shut
 * down, out of connections, no connection to be had from the pool) rather than that a
 * query was wrong: a passing outage, answered 503 and retried, never a crash.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  return typeof e.message === 'string' && /Connection terminated|Client has encountered a connection error|connection is closed/i.test(e.message);
}

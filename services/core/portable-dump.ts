import type { Db } from './db.ts';

/**
 * A copy of every row of the application's tables that any PostgreSQL can load, whatever
 * wrote it: how an install that started on embedded PGlite (`npm start`) moves to a server
 * without losing a row, and a backup that does not depend on pg_dump's version.
 *
 * The format is lines of text (the CLI gzips them): a header naming the migrations the
 * schema is at, then per table a line naming it and its columns, then one line per row,
 * each row as PostgreSQL's own `row_to_json` wrote it. Loading it into a database migrated
 * to the same migrations replaces that database's rows with these, in one transaction: the
 * tables are loaded parents first with their triggers off (the stored aggregates, data
 * versions and audit trail are copied, not recomputed), then the sequences set past the
 * highest id.
 */
export type DumpHeader = { bursar_dump: 1; migrations: string[]; tables: string[] };

const SKIP = new Set(['knex_migrations', 'knex_migrations_lock']);
/**
 * Tables made only where the server has an extension (pgvector) and computed again from
 * what other tables hold (`index-knowledge`): a server without it loads the dump without them.
 */
const DERIVED = new Set(['knowledge_embeddings']);
/** Pages read per query while dumping (8 kB each): memory stays flat however large a table is. */
const PAGES = 256;
/** Rows per INSERT while loading. */
const BATCH = 1000;

/** The application's tables, every table before those whose foreign keys point at it. */
export async function tablesInLoadOrder(db: Db): Promise<string[]> {
  const tables: string[] = (await db.raw(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`)).rows
    .map((r: { name: string }) => r.name)
    .filter((t: string) => !SKIP.has(t));
  const edges: { child: string; parent: string }[] = (
    await db.raw(`select c.relname as child, p.relname as parent from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
       where k.contype = 'f' and c.relnamespace = 'public'::regnamespace and k.conrelid <> k.confrelid`)
  ).rows;
  const ordered: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    const ready = [...left].filter((t) => !edges.some((e) => e.child === t && left.has(e.parent)));
    if (!ready.length) throw new Error(`foreign keys form a cycle among ${[...left].join(', ')}`);
    for (const t of ready) {
      ordered.push(t);
      left.delete(t);
    }
  }
  return ordered;
}

async function appliedMigrations(db: Db): Promise<string[]> {
  return (await db('knex_migrations').orderBy('name').pluck('name')) as string[];
}

/** Columns a row can be given (generated ones are computed again). */
async function writableColumns(db: Db, table: string): Promise<string[]> {
  return (
    await db.raw(`select column_name as name from information_schema.columns where table_schema = 'public' and table_name = ? and is_generated = 'NEVER' order by ordinal_position`, [table])
  ).rows.map((r: { name: string }) => r.name);
}

/** Writes the dump line by line; answers the rows written per table. */
export async function dumpDatabase(db: Db, write: (line: string) => Promise<void> | void): Promise<Record<string, number>> {
  const tables = await tablesInLoadOrder(db);
  const header: DumpHeader = { bursar_dump: 1, migrations: await appliedMigrations(db), tables };
  await write(JSON.stringify(header));
  const counts: Record<string, number> = {};
  for (const table of tables) {
    await write(JSON.stringify({ table, columns: await writableColumns(db, table) }));
    const pages = Number((await db.raw(`select (pg_relation_size(?::regclass) / current_setting('block_size')::int)::int as pages`, [table])).rows[0].pages);
    counts[table] = 0;
    // By physical position (a TID range scan): no order to sort, no offset to skip.
    for (let from = 0; from <= pages; from += PAGES) {
      const { rows } = await db.raw(`select row_to_json(t)::text as j from ?? t where ctid >= ?::tid and ctid < ?::tid`, [table, `(${from},0)`, `(${from + PAGES},0)`]);
      for (const r of rows as { j: string }[]) await write(r.j);
      counts[table] += rows.length;
    }
  }
  return counts;
}

/**
 * Replaces every row of `db` with the dump's. `db` must be migrated to exactly the dump's
 * migrations (`npm run migrate` with the release that wrote it); nothing is changed otherwise.
 */
export async function loadDump(db: Db, lines: AsyncIterable<string>): Promise<Record<string, number>> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const header = first.done ? null : (JSON.parse(first.value) as DumpHeader);
  if (header?.bursar_dump !== 1) throw new Error('not a Bursar dump');
  const here = await appliedMigrations(db);
  if (here.join() !== header.migrations.join()) {
    const missing = header.migrations.filter((m) => !here.includes(m));
    const extra = here.filter((m) => !header.migrations.includes(m));
    throw new Error(
      `the database's migrations differ from the dump's (missing: ${missing.join(', ') || 'none'}; not in the dump: ${extra.join(', ') || 'none'}): load it with the release that wrote it`,
    );
  }
  const tables = await tablesInLoadOrder(db);
  const counts: Record<string, number> = {};
  await db.transaction(async (trx) => {
    for (const t of tables) await trx.raw('alter table ?? disable trigger user', [t]);
    if (tables.length) await trx.raw(`truncate table ${tables.map(() => '??').join(', ')} restart identity`, tables);
    let table = '';
    let columns: string[] = [];
    let skipping = false;
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length || skipping) return;
      const cols = columns.map(() => '??').join(', ');
      await trx.raw(`insert into ?? (${cols}) overriding system value select ${cols} from json_populate_recordset(null::??, ?::json)`, [table, ...columns, ...columns, table, `[${batch.join(',')}]`]);
      counts[table] += batch.length;
      batch = [];
    };
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const line = next.value;
      if (line.startsWith('{"table":')) {
        await flush();
        ({ table, columns } = JSON.parse(line) as { table: string; columns: string[] });
        skipping = !tables.includes(table);
        if (skipping && !DERIVED.has(table)) throw new Error(`the dump has a table this database lacks: ${table}`);
        if (!skipping) counts[table] = 0;
      } else if (line && !skipping) {
        batch.push(line);
        if (batch.length >= BATCH) await flush();
      }
    }
    await flush();
    for (const t of tables) await trx.raw('alter table ?? enable trigger user', [t]);
    // Sequences (serial and identity columns) continue after the highest id loaded.
    const sequences = await trx.raw(
      `select c.table_name as t, c.column_name as c, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) as s
         from information_schema.columns c where c.table_schema = 'public' and pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) is not null`,
    );
    for (const { t, c, s } of sequences.rows as { t: string; c: string; s: string }[]) {
      if (SKIP.has(t)) continue;
      await trx.raw(`select setval(?::regclass, coalesce((select max(??) from ??), 0) + 1, false)`, [s, c, t]);
    }
  });
  return counts;
}

/**
 * Rows and a checksum of each table's contents (its rows as JSON text, sorted), read in UTC:
 * two databases with equal fingerprints hold the same rows, whichever server they are on.
 */
export async function tableFingerprints(db: Db): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  await db.transaction(async (trx) => {
    await trx.raw(`set local time zone 'UTC'`);
    for (const table of (await tablesInLoadOrder(trx as unknown as Db)).sort()) {
      const { rows } = await trx.raw(`select count(*)::int as n, md5(coalesce(string_agg(j, E'\\n' order by j collate "C"), '')) as md5 from (select row_to_json(t)::text as j from ?? t) s`, [table]);
      out[table] = { rows: rows[0].n, md5: rows[0].md5 };
    }
  });
  return out;
}

import { open, rm, stat, mkdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../core/db.ts';
import { Conflict, NotFound, Validation } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { converterFor } from '../exchange-rates.ts';
import * as rules from '../rules.ts';
import * as audit from '../audit.ts';
import type { Actor } from '../audit.ts';
import { detect, headerKey, HEAD_BYTES, mappingSchema, suggestMapping, UnreadableFile, type Detected, type Mapping } from './detect.ts';
import { readFile, type Failure, type ReadRow } from './read.ts';
import { isUuid } from '../../core/ids.ts';

export { UnreadableFile, mappingSchema, type Mapping };

/**
 * CSV import of bank statements as batches. A batch is uploaded (the file waits on
 * disk, status `pending`), previewed with a mapping, then committed: the file is
 * streamed and read, and every row lands in ONE transaction through a staging table
 * and a single INSERT … SELECT … ON CONFLICT DO NOTHING, so a killed server leaves
 * nothing half-imported and a re-import adds nothing. The batch row is the status
 * that the page polls.
 *
 * Audit: the database audits every row an import creates, and every later update or
 * delete of them (undo included), as the importing user; the batch row adds the file
 * and the counts.
 */

export const UPLOAD_DIR = path.join(os.tmpdir(), 'bursar-imports');
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
const SOURCE = 'import';
const STAGE_CHUNK = 10_000;

export type Batch = {
  id: string;
  business_id: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'undone';
  filename: string;
  header_key: string | null;
  detected: Detected | null;
  mapping: Mapping | null;
  file_path: string | null;
  file_size: number;
  bytes_read: number;
  total_rows: number;
  processed_rows: number;
  imported: number;
  skipped_duplicates: number;
  possible_duplicates: number;
  failed: Failure[];
  total_amount: number;
  currency: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
};

export type Summary = {
  batch_id: string;
  imported: number;
  skipped_duplicates: number;
  possible_duplicates: number;
  failed: Failure[];
  total: { amount: number; currency: string };
};

type Business = { id: string; currency: string };

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Takes an uploaded file (moved into the import folder) and records a pending batch
 * with what detection found and the mapping to suggest: the one given, else the
 * profile saved for this header, else a guess. Throws UnreadableFile for a file that
 * is not a readable CSV (the file is removed).
 */
export async function upload(db: Db, business: Business, actor: Actor, file: { path: string; originalname: string }, mapping?: Mapping): Promise<Batch> {
  let detected: Detected;
  try {
    detected = detect(await readHead(file.path));
  } catch (err) {
    await rm(file.path, { force: true });
    throw err;
  }
  await mkdir(UPLOAD_DIR, { recursive: true });
  const key = headerKey(detected.header);
  const profile = await db('import_profiles').where({ business_id: business.id, header_key: key }).first('mapping');
  const chosen = mapping ?? (profile ? mappingSchema.parse(profile.mapping) : suggestMapping(detected));
  const size = (await stat(file.path)).size;
  const [batch] = await db('import_batches')
    .insert({
      business_id: business.id,
      created_by: actor.userId,
      status: 'pending',
      filename: file.originalname.slice(0, 200),
      header_key: key,
      detected: JSON.stringify(detected),
      mapping: chosen ? JSON.stringify(chosen) : null,
      file_size: size,
      currency: business.currency,
      created_at: actor.now,
    })
    .returning('*');
  const kept = path.join(UPLOAD_DIR, `${batch.id}.csv`);
  await rename(file.path, kept).catch(async () => {
    // A different filesystem: copy through a stream instead of a rename.
    const { copyFile } = await import('node:fs/promises');
    await copyFile(file.path, kept);
    await rm(file.path, { force: true });
  });
  await db('import_batches').where({ id: batch.id }).update({ file_path: kept });
  return { ...batch, file_path: kept };
}

/** A batch of the business, or NotFound. */
export async function find(db: Db, businessId: string, batchId: string): Promise<Batch> {
  if (!isUuid(batchId)) throw new NotFound('There is no such import.');
  const batch = await db('import_batches').where({ id: batchId, business_id: businessId }).first();
  if (!batch) throw new NotFound('There is no such import.');
  return batch;
}

export async function recent(db: Db, businessId: string, limit = 20): Promise<Batch[]> {
  return db('import_batches').where({ business_id: businessId }).orderBy('created_at', 'desc').limit(limit).select('*');
}

/** Saves a new mapping on a pending batch; Conflict once it has run. */
export async function setMapping(db: Db, businessId: string, batchId: string, mapping: Mapping): Promise<Batch> {
  const batch = await find(db, businessId, batchId);
  if (batch.status !== 'pending') throw new Conflict('This import has already run.');
  await db('import_batches')
    .where({ id: batch.id })
    .update({ mapping: JSON.stringify(mapping) });
  return { ...batch, mapping };
}

/** The first rows as they will land, and any that will not read; throws Validation when the batch has no mapping yet. */
export async function preview(db: Db, businessId: string, batchId: string, limit = 20): Promise<{ rows: ReadRow[]; failed: Failure[] }> {
  const batch = await find(db, businessId, batchId);
  if (!batch.mapping || !batch.detected || !batch.file_path) throw new Validation({ mapping: ['Choose which column holds what first.'] });
  const business = await db('businesses').where({ id: businessId }).first('currency');
  const { rows, failed } = await readFile(batch.file_path, batch.detected, batch.mapping, business.currency, { limit });
  return { rows, failed };
}

const running = new Map<string, Promise<unknown>>();

/**
 * Starts the commit in this process and returns at once; the batch row shows the
 * progress. Starting a batch that is already running reuses that run.
 */
export function commitLater(db: Db, business: Business, actor: Actor, batchId: string, logger: Logger, opts: { skipInvalid?: boolean } = {}): void {
  if (running.has(batchId)) return;
  const run = commit(db, business, actor, batchId, opts)
    .catch((err) => {
      if (!(err instanceof UnreadableFile) && !(err instanceof Conflict)) logger.error({ err, batchId }, 'import failed');
    })
    .finally(() => running.delete(batchId));
  running.set(batchId, run);
}

/** Resolves when a batch started by commitLater has finished (tests and graceful shutdown). */
export async function settled(batchId: string): Promise<void> {
  await running.get(batchId);
}

/**
 * Reads the batch's file and commits its rows in one transaction. With `dryRun` the
 * transaction is rolled back and only the summary is kept. Throws UnreadableFile
 * naming the first failing line (ledger unchanged) unless `skipInvalid`, which
 * imports the rows that read and lists the others. Throws Conflict when the batch
 * is not pending.
 */
export async function commit(db: Db, business: Business, actor: Actor, batchId: string, opts: { dryRun?: boolean; skipInvalid?: boolean } = {}): Promise<Summary> {
  const claimed = await db('import_batches')
    .where({ id: batchId, business_id: business.id, status: 'pending' })
    .whereNotNull('mapping')
    .update({ status: 'running', bytes_read: 0, processed_rows: 0, error: null, heartbeat_at: db.fn.now() })
    .returning('*');
  if (!claimed.length) {
    await find(db, business.id, batchId);
    throw new Conflict('This import has already run, or has no column mapping yet.');
  }
  const batch: Batch = claimed[0];
  try {
    const read = await readFile(batch.file_path!, batch.detected!, batch.mapping!, business.currency, {
      onProgress: (bytes, rows) =>
        db('import_batches')
          .where({ id: batch.id })
          .update({ bytes_read: bytes, processed_rows: rows, heartbeat_at: db.fn.now() })
          .then(() => undefined),
    });
    if (!read.rows.length && !read.failed.length) throw new UnreadableFile('The file has a header but no rows.');
    if (read.failed.length && !opts.skipInvalid) {
      const first = read.failed[0];
      const more = read.failed.length > 1 ? ` (and ${read.failed.length - 1} more row${read.failed.length > 2 ? 's' : ''})` : '';
      throw new UnreadableFile(`Line ${first.line.toLocaleString('en-US')}: ${first.reason}${more} Nothing was imported.`, first.line);
    }
    const summary = await land(db, business, actor, batch, read.rows, read.failed, !!opts.dryRun);
    await db('import_batches')
      .where({ id: batch.id })
      .update({
        status: opts.dryRun ? 'pending' : 'done',
        bytes_read: read.bytes,
        total_rows: read.rows.length + read.failed.length,
        processed_rows: read.rows.length + read.failed.length,
        imported: summary.imported,
        skipped_duplicates: summary.skipped_duplicates,
        possible_duplicates: summary.possible_duplicates,
        failed: JSON.stringify(read.failed.slice(0, 1000)),
        total_amount: summary.total.amount,
        finished_at: opts.dryRun ? null : actor.now,
      });
    if (!opts.dryRun) {
      await db('import_profiles')
        .insert({ business_id: business.id, header_key: batch.header_key, mapping: JSON.stringify(batch.mapping), updated_at: actor.now })
        .onConflict(['business_id', 'header_key'])
        .merge(['mapping', 'updated_at']);
      await rm(batch.file_path!, { force: true });
    }
    return summary;
  } catch (err) {
    const failed = err instanceof UnreadableFile && err.line ? [{ line: err.line, reason: err.message }] : [];
    await db('import_batches')
      .where({ id: batch.id })
      .update({ status: 'failed', error: err instanceof Error ? err.message : String(err), failed: JSON.stringify(failed), finished_at: actor.now });
    await rm(batch.file_path!, { force: true });
    throw err;
  }
}

class DryRun extends Error {
  constructor(public summary: Summary) {
    super('dry run');
  }
}

/** The set-based part: stage the rows, convert, apply rules, insert what is new, flag near matches. */
async function land(db: Db, business: Business, actor: Actor, batch: Batch, rows: ReadRow[], failed: Failure[], dryRun: boolean): Promise<Summary> {
  const categoryIds = new Map<string, string>((await db('categories').where({ business_id: business.id }).select('id', 'name')).map((c: { id: string; name: string }) => [c.name.toLowerCase(), c.id]));
  const lastDay = rows.reduce((m, r) => (r.occurred_on > m ? r.occurred_on : m), '0000-00-00');
  const converters = new Map<string, (amount: number, day: string) => number | null>();
  for (const currency of new Set(rows.map((r) => r.currency))) converters.set(currency, await converterFor(db, business.id, currency, business.currency, lastDay));
  // A bank id the file repeats is one transaction: only its first row is staged.
  const seen = new Set<string>();
  const unique = rows.filter((r) => !seen.has(r.fingerprint) && seen.add(r.fingerprint));
  const staged = unique.map((r) => {
    const base = converters.get(r.currency)!(r.amount, r.occurred_on);
    if (base === null)
      throw new UnreadableFile(
        `Line ${r.line.toLocaleString('en-US')}: there is no ${r.currency}→${business.currency} exchange rate on or before ${r.occurred_on}. Add one, then import again. Nothing was imported.`,
        r.line,
      );
    return {
      line: r.line,
      occurred_on: r.occurred_on,
      amount: r.amount,
      currency: r.currency,
      amount_base: base,
      description: r.description,
      counterparty: r.counterparty,
      category_id: r.category ? (categoryIds.get(r.category.toLowerCase()) ?? null) : null,
      external_id: r.fingerprint,
    };
  });
  try {
    return await db.transaction(async (trx) => {
      await audit.actAs(trx, actor);
      await trx.raw(`create temp table import_rows (
        line int, occurred_on date, amount bigint, currency text, amount_base bigint, description text,
        counterparty text, category_id uuid, external_id text, matched boolean not null default false,
        ld text generated always as (lower(description)) stored, lc text generated always as (lower(coalesce(counterparty, ''))) stored
      ) on commit drop`);
      for (let i = 0; i < staged.length; i += STAGE_CHUNK) {
        await trx.raw(
          `insert into import_rows (line, occurred_on, amount, currency, amount_base, description, counterparty, category_id, external_id)
           select * from json_to_recordset(?::json) as x(line int, occurred_on date, amount bigint, currency text, amount_base bigint,
             description text, counterparty text, category_id uuid, external_id text)`,
          [JSON.stringify(staged.slice(i, i + STAGE_CHUNK))],
        );
      }
      await rules.applyToStaging(trx, business.id, 'import_rows');
      // One import at a time per business, so the rows already in the ledger are known and
      // a plain INSERT of the others is safe: ON CONFLICT's per-row speculative insertion made
      // the insert a third slower than a COPY of the same rows.
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`import:${business.id}`]);
      const result = await trx.raw(
        `with ins as (
           insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty,
             category_id, source, external_id, created_by, import_batch_id, created_at, updated_at)
           select ?, case when amount < 0 then 'expense' else 'other_income' end, amount, currency, amount_base, occurred_on,
             description, counterparty, category_id, ?, external_id, ?, ?, ?, ?
           from import_rows r
           where not exists (select 1 from transactions t where t.business_id = ? and t.source = ? and t.external_id = r.external_id)
           returning amount_base
         )
         select count(*)::int as imported, coalesce(sum(amount_base), 0)::bigint as total from ins`,
        [business.id, SOURCE, actor.userId, batch.id, actor.now, actor.now, business.id, SOURCE],
      );
      const { imported, total } = result.rows[0];
      const possible = await flagPossibleDuplicates(trx, business.id, batch.id, actor.now);
      const summary: Summary = {
        batch_id: batch.id,
        imported,
        skipped_duplicates: rows.length - imported,
        possible_duplicates: possible,
        failed,
        total: { amount: Number(total), currency: business.currency },
      };
      if (dryRun) throw new DryRun(summary);
      return summary;
    });
  } catch (err) {
    if (err instanceof DryRun) return err.summary;
    throw err;
  }
}

/**
 * Near matches of the batch's new rows among the rows already in the ledger: same
 * amount and currency, within three days, and descriptions that start alike.
 * They are listed for review, never dropped.
 */
async function flagPossibleDuplicates(trx: Db, businessId: string, batchId: string, now: Date): Promise<number> {
  // Both sides are narrowed first (the batch's rows; the ledger only around the batch's dates),
  // then joined on equal amount, currency and description start: a hash join, not a probe per row.
  const result = await trx.raw(
    `with n as materialized (
       select id, amount, currency, occurred_on, left(regexp_replace(lower(description), '[^a-z0-9]', '', 'g'), 5) as k
       from transactions where business_id = ? and import_batch_id = ?
     ),
     span as (select min(occurred_on) - 3 as lo, max(occurred_on) + 3 as hi from n),
     o as materialized (
       select t.id, t.amount, t.currency, t.occurred_on, left(regexp_replace(lower(t.description), '[^a-z0-9]', '', 'g'), 5) as k
       from transactions t, span
       where t.business_id = ? and t.occurred_on between span.lo and span.hi and t.import_batch_id is distinct from ?
     )
     insert into possible_duplicates (business_id, batch_id, transaction_id, matches_id, created_at)
     select distinct on (n.id) ?::uuid, ?::uuid, n.id, o.id, ?
     from n join o on o.amount = n.amount and o.currency = n.currency and o.k = n.k and o.occurred_on between n.occurred_on - 3 and n.occurred_on + 3
     order by n.id, abs(o.occurred_on - n.occurred_on)`,
    [businessId, batchId, businessId, batchId, businessId, batchId, now],
  );
  return result.rowCount ?? result.affectedRows ?? 0;
}

/** Deletes every ledger row the batch brought in (each delete audited) and marks it undone. Conflict unless done. */
export async function undo(db: Db, businessId: string, actor: Actor, batchId: string): Promise<number> {
  return db.transaction(async (trx) => {
    const batch = await find(trx, businessId, batchId);
    if (batch.status !== 'done') throw new Conflict('Only a finished import can be undone.');
    await audit.actAs(trx, actor);
    const removed = await trx('transactions').where({ business_id: businessId, import_batch_id: batch.id }).delete();
    await trx('possible_duplicates').where({ business_id: businessId, batch_id: batch.id }).delete();
    await trx('import_batches').where({ id: batch.id }).update({ status: 'undone' });
    return removed;
  });
}

export type PossibleDuplicate = { id: string; new_row: Record<string, unknown>; existing: Record<string, unknown> };

/** Open possible duplicates of a batch, each with the new row and the one it resembles. */
export async function possibleDuplicates(db: Db, businessId: string, batchId: string): Promise<PossibleDuplicate[]> {
  return db('possible_duplicates as p')
    .join('transactions as n', 'n.id', 'p.transaction_id')
    .join('transactions as o', 'o.id', 'p.matches_id')
    .where({ 'p.business_id': businessId, 'p.batch_id': batchId, 'p.status': 'open' })
    .orderBy('n.occurred_on')
    .select('p.id', db.raw('to_jsonb(n) as new_row'), db.raw('to_jsonb(o) as existing'));
}

/**
 * Resolves a possible duplicate: `keep` leaves both rows; `merge` deletes the new row
 * (audited, so it can be restored). NotFound for another business's item.
 */
export async function resolveDuplicate(db: Db, businessId: string, actor: Actor, id: string, decision: 'keep' | 'merge'): Promise<string> {
  if (!isUuid(id)) throw new NotFound('There is no such possible duplicate.');
  return db.transaction(async (trx) => {
    const item = await trx('possible_duplicates').where({ id, business_id: businessId, status: 'open' }).first();
    if (!item) throw new NotFound('There is no such possible duplicate.');
    if (decision === 'merge') {
      await audit.actAs(trx, actor);
      await trx('transactions').where({ business_id: businessId, id: item.transaction_id }).delete();
    }
    await trx('possible_duplicates')
      .where({ id })
      .update({ status: decision === 'merge' ? 'merged' : 'kept' });
    return item.batch_id as string;
  });
}

/** One call for the API: upload, then commit (or dry-run) at once. */
export async function importFile(
  db: Db,
  business: Business,
  actor: Actor,
  file: { path: string; originalname: string },
  opts: { mapping?: Mapping; dryRun?: boolean; skipInvalid?: boolean },
): Promise<Summary> {
  const batch = await upload(db, business, actor, file, opts.mapping);
  if (!batch.mapping) {
    await db('import_batches').where({ id: batch.id }).update({ status: 'failed', error: 'no mapping' });
    await rm(batch.file_path!, { force: true });
    throw new UnreadableFile('The columns could not be recognised; send a mapping naming the date, amount and description columns.');
  }
  const summary = await commit(db, business, actor, batch.id, opts);
  if (opts.dryRun) {
    await db('import_batches').where({ id: batch.id }).update({ status: 'failed', error: 'dry run' });
    await rm(batch.file_path!, { force: true });
  }
  return summary;
}

export const INTERRUPTED_MESSAGE = 'The server stopped during this import, so nothing was imported. Check the mapping and run it again.';

/**
 * Imports whose process died mid-run (no progress for `staleMinutes`) go back to
 * pending with a message: their commit never happened (one transaction), and their
 * file is still on disk, so the user can simply run them again. Returns how many.
 */
export async function recoverInterrupted(db: Db, staleMinutes = 2): Promise<number> {
  return db('import_batches')
    .where({ status: 'running' })
    .where((q) => q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', db.raw(`now() - make_interval(mins => ?)`, [staleMinutes])))
    .update({ status: 'pending', error: INTERRUPTED_MESSAGE, bytes_read: 0, processed_rows: 0 });
}

export const ABANDONED_DAYS = 7;
export const ABANDONED_MESSAGE = `This upload waited more than ${ABANDONED_DAYS} days without being imported, so its file was removed. Upload the statement again to import it.`;

/**
 * Uploads nobody imported (pending for ABANDONED_DAYS) give up their file: statements
 * hold account details, and a temp folder is no place to keep them. The batch stays,
 * failed with a message, so the imports page still says what happened. Returns how many.
 */
export async function expireAbandoned(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - ABANDONED_DAYS * 86_400_000);
  const stale: { id: string; file_path: string | null }[] = await db('import_batches').where({ status: 'pending' }).where('created_at', '<', cutoff).select('id', 'file_path');
  for (const batch of stale) {
    const updated = await db('import_batches').where({ id: batch.id, status: 'pending' }).update({ status: 'failed', error: ABANDONED_MESSAGE, finished_at: now });
    if (updated && batch.file_path) await rm(batch.file_path, { force: true });
  }
  return stale.length;
}

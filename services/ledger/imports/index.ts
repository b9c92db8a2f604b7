import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isEmbedded, type Db } from '../../core/db.ts';
import { Conflict, NotFound, Validation } from '../../core/errors.ts';
import { converterFor } from '../exchange-rates.ts';
import * as rules from '../rules.ts';
import * as audit from '../audit.ts';
import type { Actor } from '../audit.ts';
import type { Clock } from '../../core/clock.ts';
import { detect, guessMapping, headerKey, HEAD_BYTES, mappingSchema, suggestMapping, UnreadableFile, type Detected, type Guess, type Mapping } from './detect.ts';
import { DATE_FORMATS, detectDateFormat, parseDate } from './formats.ts';
import { readRows, readSome, type Failure, type ReadRow } from './read.ts';
import { isUuid } from '../../core/ids.ts';
import { readHead, sha256Of } from '../../core/files.ts';
import { createReceiptStore, type ReceiptStore } from '../receipts/store.ts';
import { importFileKey } from '../receipts/keys.ts';
import { enqueue, type JobContext, type JobHandle } from '../../jobs/runtime.ts';

export { UnreadableFile, mappingSchema, type Mapping };

/**
 * CSV import of bank statements as batches, run as jobs. A batch is uploaded (the file
 * goes to the receipt store, disk or S3, so any host can read it; status `pending`),
 * previewed with a mapping, then started (`queued`): a worker streams the file in
 * chunks into import_staged_rows, committing each chunk with the line it reached, so
 * memory stays bounded and a run cut off resumes there. At the end every staged row
 * lands in ONE transaction through a single INSERT … SELECT, so the ledger never holds
 * part of a batch and a re-import adds nothing. The batch row is the status the page polls.
 *
 * Audit: the database audits every row an import creates, and every later update or
 * delete of them (undo included), as the importing user; the batch row adds the file
 * and the counts.
 */

/** Where multer puts an upload on the way to the store. */
export const UPLOAD_DIR = path.join(os.tmpdir(), 'bursar-imports');
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
export const IMPORT_JOB = 'run-import';
const SOURCE = 'import';
/** Rows staged per transaction: small enough that a page waiting on embedded PGlite's one connection waits little. */
const STAGE_CHUNK = 5_000;
/** Failures kept to show; the rest are counted. */
const FAILURES_KEPT = 1000;

export type Batch = {
  id: string;
  business_id: string;
  status: 'pending' | 'queued' | 'running' | 'done' | 'failed' | 'undone';
  filename: string;
  header_key: string | null;
  detected: Detected | null;
  mapping: Mapping | null;
  /** Where the file waits in the store, until the import is done or given up. */
  file_key: string | null;
  /** Before imports ran as jobs, the file waited in a local folder. */
  file_path: string | null;
  file_size: number;
  bytes_read: number;
  total_rows: number;
  processed_rows: number;
  staged_through: number;
  staged_rows: number;
  landed_through: number;
  failed_count: number;
  dry_run: boolean;
  skip_invalid: boolean;
  imported: number;
  skipped_duplicates: number;
  possible_duplicates: number;
  failed: Failure[];
  total_amount: number;
  currency: string | null;
  error: string | null;
  created_by: string | null;
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

/**
 * Takes an uploaded file (in multer's folder; the caller removes it) into the store and
 * records a pending batch with what detection found and the mapping to suggest: the one
 * given, else the profile saved for this header, else a guess. Throws UnreadableFile for a
 * file that is not a readable CSV.
 */
export async function upload(db: Db, store: ReceiptStore, business: Business, actor: Actor, file: { path: string; originalname: string }, mapping?: Mapping): Promise<Batch> {
  const detected = detect(await readHead(file.path, HEAD_BYTES));
  const key = headerKey(detected.header);
  const profile = await db('import_profiles').where({ business_id: business.id, header_key: key }).first('mapping');
  const chosen = mapping ? withDateFormat(detected, mapping) : profile ? mappingSchema.parse(profile.mapping) : suggestMapping(detected);
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
  const fileKey = importFileKey(business.id, batch.id);
  try {
    await store.put(fileKey, createReadStream(file.path), { contentType: 'text/csv', size, sha256: await sha256Of(file.path) });
  } catch (err) {
    await db('import_batches').where({ id: batch.id }).delete();
    throw err;
  }
  await db('import_batches').where({ id: batch.id }).update({ file_key: fileKey });
  return { ...batch, file_key: fileKey };
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

/**
 * A mapping whose date format is `auto` gets the format its date column's values are
 * written in. Throws Validation on `date_format` when no format reads them all.
 */
export function withDateFormat(detected: Detected, mapping: Mapping): Mapping {
  if (mapping.date_format !== 'auto') return mapping;
  const i = typeof mapping.date === 'number' ? mapping.date : detected.header.findIndex((h) => h.trim().toLowerCase() === String(mapping.date).trim().toLowerCase());
  const found =
    i >= 0
      ? detectDateFormat(
          detected.samples.map((r) => r[i] ?? ''),
          mapping.decimal,
        )
      : null;
  if (!found) throw new Validation({ date_format: ['No date format reads every value of that column: pick the column with the dates, or a format.'] });
  return { ...mapping, date_format: found };
}

/** Saves a new mapping on a pending batch (an `auto` date format read off the values); Conflict once it has run. */
export async function setMapping(db: Db, businessId: string, batchId: string, mapping: Mapping): Promise<Batch> {
  const batch = await find(db, businessId, batchId);
  if (batch.status !== 'pending') throw new Conflict('This import has already run.');
  const resolved = batch.detected ? withDateFormat(batch.detected, mapping) : mapping;
  await db('import_batches')
    .where({ id: batch.id })
    .update({ mapping: JSON.stringify(resolved) });
  return { ...batch, mapping: resolved };
}

export type Preview = {
  /** The first rows as they will land, with a whole mapping; none without one. */
  rows: ReadRow[];
  /** Rows among them that will not read, and why. */
  failed: Failure[];
  /** The first rows as the file has them, shown while the mapping is not whole. */
  sample: string[][];
  /** What the mapping still lacks: date, amount, description. */
  missing: string[];
};

/**
 * What a pending batch will bring in: always the file's first rows as they are, and with
 * a whole mapping the rows as they will land. Throws Validation when the upload's file is gone.
 */
export async function preview(db: Db, store: ReceiptStore, businessId: string, batchId: string, limit = 20): Promise<Preview> {
  const batch = await find(db, businessId, batchId);
  if (!batch.detected || !batch.file_key) throw new Validation({ file: ['The uploaded file is no longer here; upload the statement again.'] });
  const sample = batch.detected.samples.slice(0, 10);
  if (!batch.mapping) return { rows: [], failed: [], sample, missing: guessMapping(batch.detected).missing };
  const business = await db('businesses').where({ id: businessId }).first('currency');
  const read = await readSome(await store.get(batch.file_key), batch.detected, batch.mapping, business.currency, limit);
  return { ...read, sample, missing: [] };
}

/** What the mapping form starts from: the batch's mapping, else what detection found of one (whole or not). */
export function mappingToEdit(batch: Batch): Partial<Mapping> {
  if (batch.mapping) return batch.mapping;
  if (!batch.detected) return {};
  const { missing: _, ...guess }: Guess = guessMapping(batch.detected);
  return guess;
}

/**
 * The date formats that read every value of a column, each with its first value read: the
 * form's choices. The format in use is always among them, read or not. Empty when no
 * column is picked or none of the formats reads it.
 */
export function dateFormatChoices(detected: Detected | null, column: unknown, current?: unknown): { format: string; example: string; day: string }[] {
  const i = typeof column === 'number' ? column : typeof column === 'string' && /^\d+$/.test(column) ? Number(column) : -1;
  if (!detected || i < 0) return [];
  const values = detected.samples.map((r) => (r[i] ?? '').trim()).filter(Boolean);
  if (!values.length) return [];
  const choices = DATE_FORMATS.filter((f) => values.every((v) => parseDate(v, f) !== null)).map((format) => ({ format, example: values[0], day: parseDate(values[0], format)! }));
  if (choices.length && typeof current === 'string' && current && current !== 'auto' && !choices.some((c) => c.format === current)) choices.push({ format: current, example: '', day: '' });
  return choices;
}

/**
 * Starts a pending batch: it becomes `queued` and a job is enqueued, in one transaction,
 * so a started import is never without the job that runs it. Conflict when the batch is
 * not pending or has no mapping. The caller nudges its worker, if it has one.
 */
export async function start(db: Db, businessId: string, batchId: string, opts: { skipInvalid?: boolean; dryRun?: boolean }, now: Date): Promise<Batch> {
  const batch = await find(db, businessId, batchId);
  return db.transaction(async (trx) => {
    const [started] = await trx('import_batches')
      .where({ id: batch.id, business_id: businessId, status: 'pending' })
      .whereNotNull('mapping')
      .whereNotNull('file_key')
      .update({
        status: 'queued',
        skip_invalid: !!opts.skipInvalid,
        dry_run: !!opts.dryRun,
        bytes_read: 0,
        processed_rows: 0,
        staged_through: 0,
        staged_rows: 0,
        landed_through: 0,
        imported: 0,
        total_amount: 0,
        failed_count: 0,
        failed: '[]',
        total_rows: 0,
        error: null,
        heartbeat_at: now,
      })
      .returning('*');
    if (!started) throw new Conflict('This import has already run, or has no column mapping yet.');
    await trx('import_staged_rows').where({ batch_id: batch.id }).delete();
    await enqueue(trx, now, IMPORT_JOB, { batchId: batch.id }, { singletonKey: batch.id, maxAttempts: 3 });
    return started;
  });
}

/** The summary of a finished batch, as the API reports it. */
export function summaryOf(batch: Batch): Summary {
  return {
    batch_id: batch.id,
    imported: batch.imported,
    skipped_duplicates: batch.skipped_duplicates,
    possible_duplicates: batch.possible_duplicates,
    failed: batch.failed,
    total: { amount: Number(batch.total_amount), currency: batch.currency ?? '' },
  };
}

/**
 * Tests only: a hook awaited after each staged chunk is committed, so a browser test can
 * watch the progress bar move, or a test can stop a worker dead between two chunks.
 */
let afterChunkForTests: ((batchId: string, chunk: number) => Promise<void>) | null = null;
export function setAfterChunkForTests(hook: typeof afterChunkForTests): void {
  afterChunkForTests = hook;
}

type StagedRow = {
  batch_id: string;
  line: number;
  occurred_on: string;
  amount: number;
  currency: string;
  amount_base: number;
  description: string;
  counterparty: string | null;
  category_id: string | null;
  bank_id: string | null;
  match_key: string;
  external_id: string;
  repeat: boolean;
};

/**
 * Gives a chunk's rows their fingerprints, in file order, as the ledger stores them
 * (external_id under source `import`): the bank's id when the file has one, else the
 * match key and its occurrence so far in the file, so two genuine identical rows both
 * survive and a re-import matches them one to one. The rows staged before the chunk are
 * counted in the database, so memory holds one chunk whatever the file's length. A bank
 * id the file gave before marks the row a repeat: it is counted, never landed.
 */
async function fingerprint(trx: Db, batchId: string, rows: StagedRow[]): Promise<void> {
  const keys = [...new Set(rows.filter((r) => !r.bank_id).map((r) => r.match_key))];
  const bankIds = [...new Set(rows.filter((r) => r.bank_id).map((r) => r.bank_id!))];
  const [counted, seenIds] = await Promise.all([
    keys.length ? trx('import_staged_rows').where({ batch_id: batchId }).whereNull('bank_id').whereIn('match_key', keys).groupBy('match_key').select('match_key', trx.raw('count(*)::int as n')) : [],
    bankIds.length ? trx('import_staged_rows').where({ batch_id: batchId }).whereIn('bank_id', bankIds).distinct().pluck('bank_id') : [],
  ]);
  const occurrences = new Map<string, number>(counted.map((c: { match_key: string; n: number }) => [c.match_key, c.n]));
  const seen = new Set<string>(seenIds);
  for (const row of rows) {
    if (row.bank_id) {
      row.external_id = `id:${row.bank_id}`;
      row.repeat = seen.has(row.bank_id);
      seen.add(row.bank_id);
    } else {
      const n = (occurrences.get(row.match_key) ?? 0) + 1;
      occurrences.set(row.match_key, n);
      row.external_id = `fp:${row.match_key}#${n}`;
    }
  }
}

/**
 * The import job: stages the rest of the file (from the last committed chunk), then
 * lands it. Returns the outcome; a file that does not read fails the batch (not the job:
 * trying again would read the same file). Any other error is thrown for the queue to try
 * again; on the last attempt the batch is failed with it.
 */
export async function runBatch(ctx: JobContext, batchId: string, handle: JobHandle): Promise<Record<string, unknown>> {
  const { db, config } = ctx;
  const store = createReceiptStore(config.receipts);
  const queued: Batch | undefined = await db('import_batches').where({ id: batchId }).first();
  if (!queued || !['queued', 'running'].includes(queued.status)) return { skipped: `the batch is ${queued?.status ?? 'gone'}` };
  await db('import_batches').where({ id: batchId }).update({ status: 'running', heartbeat_at: ctx.clock.now() });
  const batch: Batch = { ...queued, status: 'running' };
  const business: Business = await db('businesses').where({ id: batch.business_id }).first('id', 'currency');
  const actor: Actor = { userId: batch.created_by ?? '', now: ctx.clock.now() };
  try {
    if (!batch.total_rows) await stage(ctx, store, business, batch, handle);
    const staged: Batch = await db('import_batches').where({ id: batchId }).first();
    if (!staged.staged_rows && !staged.failed_count) throw new UnreadableFile('The file has a header but no rows.');
    if (staged.failed_count && !staged.skip_invalid) {
      const first = staged.failed[0];
      const more = staged.failed_count > 1 ? ` (and ${staged.failed_count - 1} more row${staged.failed_count > 2 ? 's' : ''})` : '';
      throw new UnreadableFile(`Line ${first.line.toLocaleString('en-US')}: ${first.reason}${more} Nothing was imported.`, first.line);
    }
    const summary = await land(db, business, actor, staged, handle, ctx.clock);
    await store.delete(batch.file_key!);
    return { imported: summary.imported, skipped_duplicates: summary.skipped_duplicates, dry_run: staged.dry_run };
  } catch (err) {
    const unreadable = err instanceof UnreadableFile;
    if (!unreadable && !handle.final) throw err;
    const failed = unreadable && err.line ? [{ line: err.line, reason: err.message }] : [];
    await db.transaction(async (trx) => {
      // Chunks that landed before the failure (embedded PGlite) go again: a failed import leaves the ledger as it was.
      await audit.actAs(trx, actor);
      await trx('transactions').where({ business_id: batch.business_id, import_batch_id: batchId }).delete();
      await trx('possible_duplicates').where({ business_id: batch.business_id, batch_id: batchId }).delete();
      await trx('import_staged_rows').where({ batch_id: batchId }).delete();
      await trx('import_batches')
        .where({ id: batchId })
        .update({ status: 'failed', error: err instanceof Error ? err.message : String(err), failed: JSON.stringify(failed), finished_at: ctx.clock.now() });
    });
    await store.delete(batch.file_key!);
    if (!unreadable) throw err;
    return { failed: err.message };
  }
}

/**
 * Reads the file from the line after `staged_through`, and commits each chunk of rows
 * with its progress in one transaction, so what is staged and what the batch says was
 * staged always agree. A crash that emptied the (unlogged) staging table is noticed by
 * the count and starts the file over.
 */
async function stage({ db, clock }: JobContext, store: ReceiptStore, business: Business, batch: Batch, handle: JobHandle): Promise<void> {
  const present = Number((await db('import_staged_rows').where({ batch_id: batch.id }).count({ n: '*' }))[0].n);
  let from = { through: batch.staged_through, rows: batch.staged_rows, failedCount: batch.failed_count, failed: batch.failed };
  if (present !== batch.staged_rows) {
    await db('import_staged_rows').where({ batch_id: batch.id }).delete();
    from = { through: 0, rows: 0, failedCount: 0, failed: [] };
  }
  const categoryIds = new Map<string, string>((await db('categories').where({ business_id: business.id }).select('id', 'name')).map((c: { id: string; name: string }) => [c.name.toLowerCase(), c.id]));
  const converters = new Map<string, (amount: number, day: string) => number | null>();
  let chunk: StagedRow[] = [];
  let chunkFailures: Failure[] = [];
  let lastLine = from.through;
  const failed = [...from.failed];
  let failedCount = from.failedCount;
  let stagedRows = from.rows;
  let chunks = 0;

  const convert = async (row: StagedRow) => {
    let converter = converters.get(row.currency);
    if (!converter) {
      converter = await converterFor(db, business.id, row.currency, business.currency, '9999-12-31');
      converters.set(row.currency, converter);
    }
    const base = converter(row.amount, row.occurred_on);
    if (base === null) {
      throw new UnreadableFile(
        `Line ${row.line.toLocaleString('en-US')}: there is no ${row.currency}→${business.currency} exchange rate on or before ${row.occurred_on}. Add one, then import again. Nothing was imported.`,
        row.line,
      );
    }
    row.amount_base = base;
  };

  const flush = async (bytes: number) => {
    const rows = chunk;
    chunk = [];
    for (const row of rows) if (row.currency !== business.currency) await convert(row);
    failedCount += chunkFailures.length;
    failed.push(...chunkFailures.slice(0, Math.max(0, FAILURES_KEPT - failed.length)));
    chunkFailures = [];
    stagedRows += rows.length;
    await db.transaction(async (trx) => {
      if (rows.length) {
        await fingerprint(trx, batch.id, rows);
        await trx.raw(
          `insert into import_staged_rows (batch_id, line, occurred_on, amount, currency, amount_base, description, counterparty, category_id, bank_id, match_key, external_id, repeat)
           select * from json_to_recordset(?::json) as x(batch_id uuid, line int, occurred_on date, amount bigint, currency char(3), amount_base bigint,
             description text, counterparty text, category_id uuid, bank_id text, match_key text, external_id text, repeat boolean)`,
          [JSON.stringify(rows)],
        );
      }
      await trx('import_batches')
        .where({ id: batch.id })
        .update({
          staged_through: lastLine,
          staged_rows: stagedRows,
          failed_count: failedCount,
          failed: JSON.stringify(failed),
          bytes_read: bytes,
          processed_rows: stagedRows + failedCount,
          heartbeat_at: clock.now(),
        });
    });
    await handle.heartbeat();
    chunks++;
    if (afterChunkForTests) await afterChunkForTests(batch.id, chunks);
    // Let the pages have the event loop (and embedded PGlite's one connection) between chunks.
    await new Promise((r) => setImmediate(r));
  };

  const bytes = await readRows(
    await store.get(batch.file_key!),
    batch.detected!,
    batch.mapping!,
    business.currency,
    {
      row: (r) => {
        lastLine = r.line;
        chunk.push({
          batch_id: batch.id,
          line: r.line,
          occurred_on: r.occurred_on,
          amount: r.amount,
          currency: r.currency,
          // Converted when the chunk is written: a rate may need reading first.
          amount_base: r.amount,
          description: r.description,
          counterparty: r.counterparty,
          category_id: r.category ? (categoryIds.get(r.category.toLowerCase()) ?? null) : null,
          bank_id: r.bankId,
          match_key: r.matchKey,
          external_id: '',
          repeat: false,
        });
      },
      failure: (f) => {
        lastLine = f.line;
        chunkFailures.push(f);
      },
      after: async (read) => {
        if (chunk.length + chunkFailures.length >= STAGE_CHUNK) await flush(read);
      },
    },
    { afterLine: from.through },
  );
  await flush(bytes);
  await db('import_batches')
    .where({ id: batch.id })
    .update({ total_rows: stagedRows + failedCount, bytes_read: bytes });
}

class DryRun extends Error {
  constructor(public summary: Summary) {
    super('dry run');
  }
}

/** Rows landed per transaction on embedded PGlite, whose one connection every page shares. */
const LAND_CHUNK = 2_000;

/**
 * Staged rows after `afterLine` (at most `limit` of them) into the ledger, in the caller's
 * transaction: copied to a scratch table, rules applied, and what the ledger does not hold
 * yet (by fingerprint) inserted. A repeat of a bank id is left out.
 */
async function landRows(trx: Db, business: Business, actor: Actor, batch: Batch, afterLine: number, limit: number | null) {
  await audit.actAs(trx, actor);
  await trx.raw(`create temp table import_rows (
    line int, occurred_on date, amount bigint, currency text, amount_base bigint, description text,
    counterparty text, category_id uuid, external_id text, matched boolean not null default false,
    ld text generated always as (lower(description)) stored, lc text generated always as (lower(coalesce(counterparty, ''))) stored
  ) on commit drop`);
  await trx.raw(
    `insert into import_rows (line, occurred_on, amount, currency, amount_base, description, counterparty, category_id, external_id)
     select line, occurred_on, amount, currency, amount_base, description, counterparty, category_id, external_id
     from import_staged_rows where batch_id = ? and line > ? and not repeat order by line ${limit ? `limit ${Number(limit)}` : ''}`,
    [batch.id, afterLine],
  );
  const last = (await trx.raw('select max(line) as line from import_rows')).rows[0].line;
  if (last === null) return { lastLine: null };
  await rules.applyToStaging(trx, business.id, 'import_rows');
  // One import at a time per business, so the rows already in the ledger are known and
  // a plain INSERT of the others is safe: ON CONFLICT's per-row speculative insertion made
  // the insert a third slower than a COPY of the same rows.
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`import:${business.id}`]);
  await trx.raw(
    `insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty,
       category_id, source, external_id, created_by, import_batch_id, created_at, updated_at)
     select ?, case when amount < 0 then 'expense' else 'other_income' end, amount, currency, amount_base, occurred_on,
       description, counterparty, category_id, ?, external_id, ?, ?, ?, ?
     from import_rows r
     where not exists (select 1 from transactions t where t.business_id = ? and t.source = ? and t.external_id = r.external_id)`,
    [business.id, SOURCE, actor.userId || null, batch.id, actor.now, actor.now, business.id, SOURCE],
  );
  return { lastLine: Number(last) };
}

/**
 * The staged rows into the ledger. On PostgreSQL (and for a dry run) in ONE transaction,
 * so the ledger never holds part of a batch; a dry run rolls it back and keeps the summary.
 * On embedded PGlite a transaction of a million rows would stop every page for as long
 * (its one connection is everyone's), so the rows land LAND_CHUNK at a time, each chunk
 * committed with the line it reached: the pages keep answering, and a run cut off resumes
 * there. The batch says "running" until the last chunk and the near-match check are in.
 */
async function land(db: Db, business: Business, actor: Actor, batch: Batch, handle: JobHandle, clock: Clock): Promise<Summary> {
  // What the batch brought in is counted in the ledger itself, so the summary is right however
  // many attempts (or chunks) it took to land.
  const outcome = async (trx: Db): Promise<Summary> => {
    const possible = await flagPossibleDuplicates(trx, business.id, batch.id, actor.now);
    const landed = await trx('transactions')
      .where({ business_id: business.id, import_batch_id: batch.id })
      .first(trx.raw('count(*)::int as n'), trx.raw('coalesce(sum(amount_base), 0)::bigint as total'));
    return {
      batch_id: batch.id,
      imported: landed.n,
      skipped_duplicates: batch.staged_rows - landed.n,
      possible_duplicates: possible,
      failed: batch.failed,
      total: { amount: Number(landed.total), currency: business.currency },
    };
  };
  if (!isEmbedded(db) || batch.dry_run) {
    try {
      return await db.transaction(async (trx) => {
        await landRows(trx, business, actor, batch, 0, null);
        const summary = await outcome(trx);
        if (batch.dry_run) throw new DryRun(summary);
        await finish(trx, batch, summary, clock.now());
        return summary;
      });
    } catch (err) {
      if (!(err instanceof DryRun)) throw err;
      await db.transaction((trx) => finish(trx, batch, err.summary, clock.now()));
      return err.summary;
    }
  }
  for (let after = batch.landed_through; ; ) {
    const step = await db.transaction(async (trx) => {
      const landed = await landRows(trx, business, actor, batch, after, LAND_CHUNK);
      if (landed.lastLine !== null) await trx('import_batches').where({ id: batch.id }).update({ landed_through: landed.lastLine, heartbeat_at: actor.now });
      return landed;
    });
    if (step.lastLine === null) break;
    after = step.lastLine;
    await handle.heartbeat();
    await new Promise((r) => setImmediate(r));
  }
  return db.transaction(async (trx) => {
    const summary = await outcome(trx);
    await finish(trx, batch, summary, clock.now());
    return summary;
  });
}

/**
 * Records the outcome on the batch, drops its staged rows and remembers the mapping for
 * the next file with this header. A dry run ends `failed` with "dry run": it never ran for real.
 */
async function finish(trx: Db, batch: Batch, summary: Summary, now: Date): Promise<void> {
  await trx('import_staged_rows').where({ batch_id: batch.id }).delete();
  await trx('import_batches')
    .where({ id: batch.id, status: 'running' })
    .update({
      status: batch.dry_run ? 'failed' : 'done',
      error: batch.dry_run ? 'dry run' : null,
      processed_rows: batch.staged_rows + batch.failed_count,
      imported: summary.imported,
      skipped_duplicates: summary.skipped_duplicates,
      possible_duplicates: summary.possible_duplicates,
      total_amount: summary.total.amount,
      finished_at: now,
    });
  if (batch.dry_run) return;
  await trx('import_profiles')
    .insert({ business_id: batch.business_id, header_key: batch.header_key, mapping: JSON.stringify(batch.mapping), updated_at: now })
    .onConflict(['business_id', 'header_key'])
    .merge(['mapping', 'updated_at']);
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

/**
 * The API's one call: upload, then start (a dry run or for real). Returns the started
 * batch; the caller waits for it (waitFor). Throws UnreadableFile when the columns are
 * not recognised and no mapping was sent.
 */
export async function importFile(
  db: Db,
  store: ReceiptStore,
  business: Business,
  actor: Actor,
  file: { path: string; originalname: string },
  opts: { mapping?: Mapping; dryRun?: boolean; skipInvalid?: boolean },
): Promise<Batch> {
  const batch = await upload(db, store, business, actor, file, opts.mapping);
  if (!batch.mapping) {
    await db('import_batches').where({ id: batch.id }).update({ status: 'failed', error: 'no mapping', file_key: null });
    await store.delete(batch.file_key!);
    throw new UnreadableFile('The columns could not be recognised; send a mapping naming the date, amount and description columns.');
  }
  return start(db, business.id, batch.id, opts, actor.now);
}

/**
 * The batch once it has finished (done, failed, undone), or as it stands when `timeoutMs`
 * has passed or its first attempt failed and a retry waits (no use waiting for that).
 */
export async function waitFor(db: Db, businessId: string, batchId: string, timeoutMs: number): Promise<Batch> {
  const until = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const batch = await find(db, businessId, batchId);
    if (!['queued', 'running'].includes(batch.status) || Date.now() >= until) return batch;
    const retrying = await db('job_queue').where({ name: IMPORT_JOB, singleton_key: batchId, state: 'queued' }).where('attempts', '>', 0).first('id');
    if (retrying) return batch;
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, until - Date.now()))));
  }
}

export const INTERRUPTED_MESSAGE = 'The server stopped during this import, so nothing was imported. Check the mapping and run it again.';

/**
 * Imports started but no longer in the queue's hands (their job failed for good while
 * its worker was down, or they were started before imports ran as jobs) go back to
 * pending with a message: nothing of them reached the ledger (one transaction), and their
 * file is still in the store, so the user can run them again. Returns how many.
 */
export async function recoverInterrupted(db: Db): Promise<number> {
  return db.transaction<number>(async (trx) => {
    const orphans: string[] = await trx('import_batches as b')
      .whereIn('b.status', ['queued', 'running'])
      .whereNotExists(trx('job_queue as q').where('q.name', IMPORT_JOB).whereRaw('q.singleton_key = b.id::text').whereIn('q.state', ['queued', 'running']))
      .pluck('b.id');
    if (!orphans.length) return 0;
    await trx('import_staged_rows').whereIn('batch_id', orphans).delete();
    const n = await trx('import_batches')
      .whereIn('id', orphans)
      .update({ status: 'pending', error: INTERRUPTED_MESSAGE, bytes_read: 0, processed_rows: 0, staged_through: 0, staged_rows: 0, failed_count: 0, total_rows: 0 });
    return Number(n);
  });
}

export const ABANDONED_DAYS = 7;
export const ABANDONED_MESSAGE = `This upload waited more than ${ABANDONED_DAYS} days without being imported, so its file was removed. Upload the statement again to import it.`;

/**
 * Uploads nobody imported (pending for ABANDONED_DAYS) give up their file: statements
 * hold account details, and no store should keep them longer than needed. The batch
 * stays, failed with a message, so the imports page still says what happened. Returns how many.
 */
export async function expireAbandoned(db: Db, store: ReceiptStore, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - ABANDONED_DAYS * 86_400_000);
  const stale: { id: string; file_key: string | null; file_path: string | null }[] = await db('import_batches')
    .where({ status: 'pending' })
    .where('created_at', '<', cutoff)
    .select('id', 'file_key', 'file_path');
  for (const batch of stale) {
    const updated = await db('import_batches').where({ id: batch.id, status: 'pending' }).update({ status: 'failed', error: ABANDONED_MESSAGE, finished_at: now });
    if (!updated) continue;
    if (batch.file_key) await store.delete(batch.file_key);
    if (batch.file_path) await rm(batch.file_path, { force: true });
  }
  return stale.length;
}

/**
 * Import benchmark on real PostgreSQL, as production runs it: a statement of
 * IMPORT_ROWS rows (default 1,000,000) imported by the `jobs` app, a child process, into
 * a business that already holds LEDGER_ROWS rows (default 1,000,000), while the web app,
 * another child, answers /health. Against a plain server-side COPY of the same rows into
 * the same table in the same run. Prints JSON: rows/s of both, their ratio, the worker's
 * peak RSS (VmHWM), /health p50/p95/max during the import, a re-import of the same file,
 * and (RULES=1) 100 rules applied to the imported rows.
 *   DATABASE_URL=postgres://… tsx scripts/bench/import.ts
 */
import { copyFileSync, mkdtempSync, rmSync, chmodSync, createWriteStream, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import * as imports from '../../services/ledger/imports/index.ts';
import * as rules from '../../services/ledger/rules.ts';
import { diskStore } from '../../services/ledger/receipts/disk.ts';
import { benchBusiness, benchDb } from './setup.ts';
import { percentile, startApp, startChild, stopChildren } from './http.ts';

const LEDGER_ROWS = Number(process.env.LEDGER_ROWS ?? 1_000_000);
const IMPORT_ROWS = Number(process.env.IMPORT_ROWS ?? 1_000_000);
const databaseUrl = process.env.DATABASE_URL!;

const db = await benchDb();
const t0 = Date.now();
const { businessId, userId } = await benchBusiness(db, LEDGER_ROWS);
const seedMs = Date.now() - t0;
const business = { id: businessId, currency: 'USD' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-bench-'));
chmodSync(dir, 0o755);
const storeDir = path.join(dir, 'store');

// The statement as a bank would send it, and the same rows as COPY input; written as streams.
const csvPath = path.join(dir, 'statement.csv');
const copyPath = path.join(dir, 'copy.tsv');
const csv = createWriteStream(csvPath);
const tsv = createWriteStream(copyPath);
csv.write('Date,Description,Counterparty,Amount\n');
for (let i = 0; i < IMPORT_ROWS; i++) {
  const day = new Date(Date.UTC(2027, 0, 1) + Math.floor(i / 3000) * 86_400_000).toISOString().slice(0, 10);
  const amount = -(100 + ((i * 104729) % 90000));
  const desc = `Card payment ${i % 1013} shop ${i % 17} ref ${i}`;
  if (!csv.write(`${day},"${desc}",Vendor ${i % 97},${(amount / 100).toFixed(2)}\n`)) await once(csv, 'drain');
  if (!tsv.write(`${[businessId, 'expense', amount, 'USD', amount, day, desc, `Vendor ${i % 97}`, 'copy', `c${i}`].join('\t')}\n`)) await once(tsv, 'drain');
}
csv.end();
tsv.end();
await Promise.all([once(csv, 'finish'), once(tsv, 'finish')]);
chmodSync(copyPath, 0o644);

// Baseline: the database's own bulk load, same rows, same table, indexes and triggers.
let t = Date.now();
await db.raw(`copy transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty, source, external_id) from '${copyPath}'`);
const copyMs = Date.now() - t;
await db('transactions').where({ business_id: businessId, source: 'copy' }).delete();
await db.raw('vacuum analyze transactions');

const env = { RECEIPTS_DIR: storeDir, JOBS_IN_WEB: 'never' };
const web = await startApp(databaseUrl, env);
const secrets = { SESSION_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
const jobs = await startChild(['jobs/index.ts'], { DATABASE_URL: databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'info', ...secrets, ...env }, /job worker started/).catch(async (err) => {
  await stopChildren([web.child]);
  throw err;
});
const children = [web.child, jobs.child];

async function importOnce(): Promise<{ ms: number; batch: imports.Batch; health: number[] }> {
  const upload = path.join(dir, 'upload.csv');
  copyFileSync(csvPath, upload);
  const uploaded = await imports.upload(db, diskStore(storeDir), business, { userId, now: new Date() }, { path: upload, originalname: 'statement.csv' });
  const started = Date.now();
  await imports.start(db, businessId, uploaded.id, {}, new Date());
  // /health every 50 ms from here until the batch is done: what a page waits meanwhile.
  const health: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const h = performance.now();
      await (await fetch(`${web.base}/health`)).arrayBuffer();
      health.push(performance.now() - h);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let batch = await imports.find(db, businessId, uploaded.id);
  while (['queued', 'running'].includes(batch.status)) {
    await new Promise((r) => setTimeout(r, 200));
    batch = await imports.find(db, businessId, uploaded.id);
  }
  const ms = Date.now() - started;
  done = true;
  await probe;
  return { ms, batch, health: health.sort((a, b) => a - b) };
}

// 100 rules, as the import applies them on the way in.
const cats = await db('categories').where({ business_id: businessId }).select('id');
await db('categorization_rules').insert(
  Array.from({ length: 100 }, (_, i) => ({ business_id: businessId, position: i, field: 'description', match: 'contains', pattern: `payment ${i * 10} `, category_id: cats[i % cats.length].id })),
);

try {
  const first = await importOnce();
  const again = await importOnce();
  // With RULES=1 (long at a million rows): the 100 rules over the imported rows, on demand,
  // with the categories the import gave cleared first.
  let changed: number | null = null;
  let rulesMs: number | null = null;
  if (process.env.RULES === '1') {
    await db('transactions').where({ business_id: businessId, import_batch_id: first.batch.id }).update({ category_id: null });
    await db.raw('vacuum analyze transactions');
    t = Date.now();
    changed = await rules.applyToLedger(db, businessId, { userId, now: new Date() }, { importBatchId: first.batch.id });
    rulesMs = Date.now() - t;
  }
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${jobs.child.pid}/status`, 'utf8'))?.[1] ?? 0);
  process.stdout.write(
    `${JSON.stringify(
      {
        ledger_rows: LEDGER_ROWS,
        import_rows: IMPORT_ROWS,
        statement_mb: Math.round(statSync(csvPath).size / 1e5) / 10,
        seed_ms: seedMs,
        copy_ms: copyMs,
        copy_rows_per_s: Math.round(IMPORT_ROWS / (copyMs / 1000)),
        import_status: first.batch.status,
        import_error: first.batch.error,
        import_ms: first.ms,
        import_rows_per_s: Math.round(IMPORT_ROWS / (first.ms / 1000)),
        import_vs_copy: Math.round((copyMs / first.ms) * 100) / 100,
        imported: first.batch.imported,
        worker_peak_rss_mb: Math.round(peakKb / 1024),
        health_during_import: {
          requests: first.health.length,
          p50_ms: Math.round(percentile(first.health, 0.5)),
          p95_ms: Math.round(percentile(first.health, 0.95)),
          max_ms: Math.round(first.health.at(-1) ?? 0),
        },
        reimport_ms: again.ms,
        reimport_imported: again.batch.imported,
        reimport_skipped: again.batch.skipped_duplicates,
        rules: 100,
        rules_rows_changed: changed,
        rules_ms: rulesMs,
        load_average: os.loadavg().map((l) => Math.round(l * 100) / 100),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stopChildren(children);
  rmSync(dir, { recursive: true, force: true });
  await db.destroy();
}

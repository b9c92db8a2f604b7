/**
 * Import benchmark on real PostgreSQL: a 100,000-row statement imported into a
 * business that already holds LEDGER_ROWS rows (parse, dedupe, rules, commit), against
 * a plain server-side COPY of the same rows into the same table in the same run.
 * Also 100 rules applied to 100,000 ledger rows. Prints JSON.
 *   DATABASE_URL=postgres://… tsx scripts/bench/import.ts
 */
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as imports from '../../services/ledger/imports/index.ts';
import * as rules from '../../services/ledger/rules.ts';
import { benchBusiness, benchDb } from './setup.ts';

const LEDGER_ROWS = Number(process.env.LEDGER_ROWS ?? 1_000_000);
const IMPORT_ROWS = Number(process.env.IMPORT_ROWS ?? 100_000);

const db = await benchDb();
const t0 = Date.now();
const { businessId, userId } = await benchBusiness(db, LEDGER_ROWS);
const seedMs = Date.now() - t0;
const business = { id: businessId, currency: 'USD' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-bench-'));
chmodSync(dir, 0o755);

// The statement as a bank would send it, and the same rows as COPY input.
const statement = ['Date,Description,Counterparty,Amount'];
const copyRows: string[] = [];
for (let i = 0; i < IMPORT_ROWS; i++) {
  const day = new Date(Date.UTC(2027, 0, 1) + Math.floor(i / 300) * 86_400_000).toISOString().slice(0, 10);
  const amount = -(100 + ((i * 104729) % 90000));
  const desc = `Card payment ${i % 1013} shop ${i % 17}`;
  statement.push(`${day},"${desc}",Vendor ${i % 97},${(amount / 100).toFixed(2)}`);
  copyRows.push([businessId, 'expense', amount, 'USD', amount, day, desc, `Vendor ${i % 97}`, 'copy', `c${i}`].join('\t'));
}
const csvPath = path.join(dir, 'statement.csv');
writeFileSync(csvPath, statement.join('\n'));
const copyPath = path.join(dir, 'copy.tsv');
writeFileSync(copyPath, `${copyRows.join('\n')}\n`);
chmodSync(copyPath, 0o644);

// Baseline: the database's own bulk load, same rows, same table and indexes.
let t = Date.now();
await db.raw(`copy transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, counterparty, source, external_id) from '${copyPath}'`);
const copyMs = Date.now() - t;
await db('transactions').where({ business_id: businessId, source: 'copy' }).delete();
await db.raw('vacuum analyze transactions');

// 100 rules, as the import applies them on the way in.
const cats = await db('categories').where({ business_id: businessId }).select('id');
await db('categorization_rules').insert(
  Array.from({ length: 100 }, (_, i) => ({ business_id: businessId, position: i, field: 'description', match: 'contains', pattern: `payment ${i * 10} `, category_id: cats[i % cats.length].id })),
);

const upload = path.join(dir, 'upload.csv');
writeFileSync(upload, statement.join('\n'));
t = Date.now();
const summary = await imports.importFile(db, business, { userId, now: new Date() }, { path: upload, originalname: 'statement.csv' }, {});
const importMs = Date.now() - t;

// Re-importing the same file: every row is an exact duplicate.
writeFileSync(upload, statement.join('\n'));
t = Date.now();
const again = await imports.importFile(db, business, { userId, now: new Date() }, { path: upload, originalname: 'statement.csv' }, {});
const reimportMs = Date.now() - t;

// 100 rules over the 100,000 imported rows, on demand: first with the categories the import
// gave cleared (so the rules change and audit every row they match), then again (nothing to change).
await db('transactions').where({ business_id: businessId, import_batch_id: summary.batch_id }).update({ category_id: null });
await db.raw('vacuum analyze transactions');
t = Date.now();
const changed = await rules.applyToLedger(db, businessId, { userId, now: new Date() }, { importBatchId: summary.batch_id });
const rulesMs = Date.now() - t;
t = Date.now();
await rules.applyToLedger(db, businessId, { userId, now: new Date() }, { importBatchId: summary.batch_id });
const rulesNoopMs = Date.now() - t;

rmSync(dir, { recursive: true, force: true });
await db.destroy();
process.stdout.write(
  `${JSON.stringify(
    {
      ledger_rows: LEDGER_ROWS,
      import_rows: IMPORT_ROWS,
      seed_ms: seedMs,
      copy_ms: copyMs,
      copy_rows_per_s: Math.round(IMPORT_ROWS / (copyMs / 1000)),
      import_ms: importMs,
      import_rows_per_s: Math.round(IMPORT_ROWS / (importMs / 1000)),
      import_vs_copy: Math.round((copyMs / importMs) * 100) / 100,
      imported: summary.imported,
      reimport_ms: reimportMs,
      reimport_imported: again.imported,
      reimport_skipped: again.skipped_duplicates,
      rules: 100,
      rules_rows_changed: changed,
      rules_ms: rulesMs,
      rules_again_nothing_to_change_ms: rulesNoopMs,
    },
    null,
    2,
  )}\n`,
);

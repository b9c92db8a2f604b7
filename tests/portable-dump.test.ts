import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addMember, createPgliteTestDb, createTestDb, insertBusiness, insertLedgerRows, insertUser } from './helpers.ts';
import { dumpDatabase, loadDump, tableFingerprints } from '../services/core/portable-dump.ts';
import { isEmbedded } from '../services/core/db.ts';

async function* linesOf(lines: string[]) {
  yield* lines;
}

// From embedded PGlite (what `npm start` keeps in ./data) to the database the suite runs on:
// PostgreSQL when TEST_DATABASE_URL is set (as in .ci/run), else another PGlite.
test('a PGlite install moved through a portable dump keeps every row of every table, and the copy works on', async (t) => {
  const source = await createPgliteTestDb();
  t.after(() => source.destroy());
  assert.ok(isEmbedded(source));
  const owner = await insertUser(source, { email: 'owner@example.com' });
  const viewer = await insertUser(source, { email: 'viewer@example.com', name: 'Zoë "quoted", O\'Brien\nsecond line' });
  const business = await insertBusiness(source, owner.id, { name: 'Lamp & Co', currency: 'EUR' });
  await addMember(source, business.id, viewer.id, 'viewer');
  await insertLedgerRows(
    source,
    business.id,
    Array.from({ length: 2500 }, (_, i) => ({
      kind: i % 5 === 0 ? 'sale' : 'expense',
      amount: i % 5 === 0 ? 12_345 + i : -(i + 1),
      amount_base: i % 5 === 0 ? 12_345 + i : -(i + 1),
      currency: 'EUR',
      occurred_on: `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      description: `Row ${i} — café, "quotes", tab\there, back\\slash`,
    })),
  );
  const before = await tableFingerprints(source);
  assert.equal(before.transactions.rows, 2500);
  assert.ok(before.daily_totals.rows > 0 && before.ledger_audit.rows > 0, 'aggregates and audit trail were written by the triggers');

  const lines: string[] = [];
  const written = await dumpDatabase(source, (line) => {
    lines.push(line);
  });
  assert.equal(written.transactions, 2500);

  const target = await createTestDb();
  t.after(() => target.drop());
  const loaded = await loadDump(target.db, linesOf(lines));
  const after = await tableFingerprints(target.db);
  // A server without pgvector has no embeddings table: the knowledge base is indexed again there.
  const absent = Object.keys(before).filter((table) => !(table in after));
  assert.ok(
    absent.every((table) => table === 'knowledge_embeddings'),
    `only the embeddings may be left behind (${absent})`,
  );
  for (const table of absent) {
    delete before[table];
    delete written[table];
  }
  assert.deepEqual(loaded, written);
  assert.deepEqual(after, before, 'every table has the same rows and the same checksum');

  // The copy is a working database: triggers are back on, sequences go on past the copied ids.
  const version = async () => (await target.db('data_versions').where({ business_id: business.id }).first()).version;
  const versionBefore = await version();
  await insertLedgerRows(target.db, business.id, [{ kind: 'expense', amount: -999, amount_base: -999, currency: 'EUR', description: 'after the move' }]);
  assert.ok((await version()) > versionBefore, 'a new ledger row moves the data version');
  const audit = await target.db('ledger_audit').max('id as id').first();
  assert.ok(Number(audit?.id) > 0 && (await target.db('ledger_audit').count('* as n').first())!.n === after.ledger_audit.rows + 1);
});

test('a dump is loaded only into a database at the same migrations; otherwise nothing changes', async (t) => {
  const source = await createPgliteTestDb();
  t.after(() => source.destroy());
  await insertUser(source, { email: 'someone@example.com' });
  const lines: string[] = [];
  await dumpDatabase(source, (line) => {
    lines.push(line);
  });

  const target = await createTestDb();
  t.after(() => target.drop());
  await insertUser(target.db, { email: 'already-here@example.com' });
  const [newest] = await target.db('knex_migrations').orderBy('name', 'desc').limit(1).pluck('name');
  await target.db('knex_migrations').where({ name: newest }).delete();
  const before = await tableFingerprints(target.db);

  await assert.rejects(loadDump(target.db, linesOf(lines)), new RegExp(`missing: ${newest}; not in the dump: none`));
  assert.deepEqual(await tableFingerprints(target.db), before);
  await assert.rejects(loadDump(target.db, linesOf(['{"hello":1}'])), /not a Bursar dump/);
});

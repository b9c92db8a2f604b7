import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as expenses from '../services/ledger/expenses.ts';
import { createTestDb, insertBusiness, insertLedgerRows, insertUser } from './helpers.ts';
import type { Db } from '../services/core/db.ts';

// The text filter looks words up in the dictionary of distinct texts (expense_texts), then
// takes the rows carrying those texts. It must find exactly what ILIKE on the rows finds.
let db: Db;
let drop: () => Promise<void>;
let biz: string;
let other: string;
before(async () => {
  ({ db, drop } = await createTestDb());
  const user = await insertUser(db);
  biz = (await insertBusiness(db, user.id)).id;
  other = (await insertBusiness(db, user.id, { name: 'Other' })).id;
  await insertLedgerRows(db, biz, [
    { description: 'AMAZON WEB SERVICES', counterparty: 'AWS EMEA', occurred_on: '2026-11-01' },
    { description: 'Amazon Marketplace', counterparty: null, occurred_on: '2026-11-02' },
    { description: 'Rent November', counterparty: 'Landlord & Co', occurred_on: '2026-11-03' },
    { description: '100% cotton tees', counterparty: 'Supplier_1', occurred_on: '2026-11-04' },
    { description: 'Coffee', counterparty: 'Café Olé', occurred_on: '2026-11-05' },
    { description: 'Amazon refund', kind: 'refund', amount: 500, occurred_on: '2026-11-06' },
  ]);
  await insertLedgerRows(db, other, [{ description: 'Amazon for the other business', occurred_on: '2026-11-07' }]);
});
after(() => drop());

async function byIlike(q: string): Promise<string[]> {
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return await db('transactions')
    .where({ business_id: biz, kind: 'expense' })
    .where((w) => w.whereILike('description', like).orWhereILike('counterparty', like))
    .orderBy('occurred_on', 'desc')
    .pluck('description');
}
const listed = async (q: string) => (await expenses.list(db, biz, { q, sort: 'date_desc', limit: 50 })).expenses.map((e) => e.description);

test('the text filter finds exactly the rows ILIKE finds: any case, either field, wildcards taken literally, one business only', async () => {
  for (const q of ['amazon', 'AWS', 'landlord', '& co', '100%', 'supplier_', 'olé', 'e', 'nothing like this']) {
    assert.deepEqual(await listed(q), await byIlike(q), q);
  }
  assert.deepEqual(await listed('amazon'), ['Amazon Marketplace', 'AMAZON WEB SERVICES'], 'not the refund, not the other business');
  const totals = await expenses.totals(db, biz, { q: 'amazon' });
  assert.equal(totals.count, 2);
});

test('texts that arrive by edit or insert are found at once', async () => {
  const row = await db('transactions').where({ business_id: biz, description: 'Coffee' }).first('id');
  await db('transactions').where({ id: row.id }).update({ description: 'Oat flat white' });
  assert.deepEqual(await listed('flat white'), ['Oat flat white']);
  await insertLedgerRows(db, biz, [{ description: 'Figma seats', counterparty: 'Figma', occurred_on: '2026-11-08' }]);
  assert.deepEqual(await listed('figma'), ['Figma seats']);
  assert.deepEqual(await listed('coffee'), [], 'the old text matches nothing once no row carries it');
});

test('words found in more texts than a lookup pays for fall back to scanning, with the same rows', async () => {
  await insertLedgerRows(
    db,
    biz,
    Array.from({ length: 510 }, (_, i) => ({ description: `Card payment ${i}`, occurred_on: '2026-10-01' })),
  );
  const all = await expenses.list(db, biz, { q: 'card payment', sort: 'date_desc', limit: 500 });
  assert.equal(all.expenses.length, 500);
  assert.equal((await expenses.totals(db, biz, { q: 'card payment' })).count, 510);
  assert.equal((await expenses.totals(db, biz, { q: 'card payment 50' })).count, 11);
});

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../services/core/random.ts';
import { createTestDb, insertUser, insertBusiness, TODAY } from './helpers.ts';
import * as aggregates from '../services/reports/aggregates.ts';
import * as ledger from '../services/ledger/transactions.ts';
import { addDays } from '../services/core/clock.ts';
import { LEDGER_KINDS } from '../services/ledger/transactions.ts';
import { systemActor } from '../services/ledger/audit.ts';

const actor = systemActor('tests', new Date(`${TODAY}T12:00:00Z`));

const { db, drop } = await createTestDb();
after(drop);

/** Seeded, so a failure replays exactly. */
function seeded(seed: number) {
  const next = mulberry32(seed);
  return { next, int: (lo: number, hi: number) => Math.floor(lo + (hi - lo + 1) * next()), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

test('after random inserts, edits, deletes and bulk imports the stored aggregates equal a fresh rebuild', async () => {
  const user = await insertUser(db);
  const biz = await insertBusiness(db, user.id);
  const other = await insertBusiness(db, user.id, { name: 'Other' });
  const cats = await db('categories')
    .insert([1, 2, 3].map((i) => ({ business_id: biz.id, name: `Cat ${i}` })))
    .returning('id');
  const prods = await db('products')
    .insert([1, 2].map((i) => ({ business_id: biz.id, sku: `SKU-${i}`, name: `P${i}`, currency: 'USD' })))
    .returning('id');
  const rnd = seeded(20261125);
  let n = 0;
  const row = () => {
    const amount = rnd.int(-50_000, 50_000);
    return {
      business_id: biz.id,
      kind: rnd.pick(LEDGER_KINDS),
      amount,
      currency: 'USD',
      amount_base: amount,
      occurred_on: addDays(TODAY, -rnd.int(0, 40)),
      description: 'random',
      category_id: rnd.next() < 0.3 ? null : rnd.pick(cats).id,
      product_id: rnd.next() < 0.5 ? null : rnd.pick(prods).id,
      quantity: rnd.next() < 0.5 ? null : rnd.int(-3, 5),
      source: 'prop',
      external_id: `r${++n}`,
    };
  };
  await ledger.insertMany(db, actor, [...Array(50)].map(row));
  await ledger.insertMany(db, actor, [{ ...row(), business_id: other.id, category_id: null, product_id: null }]);
  for (let step = 0; step < 120; step++) {
    const op = rnd.int(0, 5);
    if (op === 0) {
      await ledger.insertMany(db, actor, [...Array(rnd.int(1, 20))].map(row));
    } else if (op === 1) {
      // An import: a set-based INSERT … SELECT, the way a staged CSV is committed.
      await db.raw(
        `insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, category_id, product_id, quantity, source, external_id)
         select business_id, kind, -amount, currency, -amount_base, occurred_on + 1, category_id, product_id, quantity, 'import', external_id || '-' || ?::text
         from transactions where business_id = ? and source = 'prop' order by external_id limit ?`,
        [step, biz.id, rnd.int(1, 15)],
      );
    } else if (op === 2) {
      const ids = await db('transactions').where('business_id', biz.id).orderByRaw('md5(id::text || ?)', [step]).limit(rnd.int(1, 5)).pluck('id');
      await db('transactions')
        .whereIn('id', ids)
        .update({
          amount_base: db.raw('amount_base + ?', [rnd.int(-999, 999)]),
          occurred_on: addDays(TODAY, -rnd.int(0, 40)),
          kind: rnd.pick(LEDGER_KINDS),
          category_id: rnd.pick([null, ...cats.map((c: { id: string }) => c.id)]),
        });
    } else if (op === 3) {
      const ids = await db('transactions').where('business_id', biz.id).orderByRaw('md5(id::text || ?)', [step]).limit(rnd.int(1, 8)).pluck('id');
      await db('transactions').whereIn('id', ids).del();
    } else if (op === 4) {
      // Inside a transaction that rolls back, nothing may stick.
      await db
        .transaction(async (trx) => {
          await ledger.insertMany(trx, actor, [...Array(5)].map(row));
          throw new Error('rollback');
        })
        .catch((e: Error) => assert.equal(e.message, 'rollback'));
    } else {
      const pid = rnd.pick(prods).id;
      await db('transactions')
        .where({ business_id: biz.id, product_id: pid })
        .update({ product_id: rnd.pick(prods).id, quantity: rnd.int(0, 4) });
    }
  }
  // Deleting a category sets the ledger's category_id to NULL through the foreign key: an UPDATE the triggers see too.
  await db('categories').where('id', cats[0].id).del();
  const kept = await aggregates.snapshot(db, biz.id);
  const keptOther = await aggregates.snapshot(db, other.id);
  await aggregates.rebuild(db);
  assert.deepEqual(await aggregates.snapshot(db, biz.id), kept);
  assert.deepEqual(await aggregates.snapshot(db, other.id), keptOther);
  assert.ok(kept.daily.length > 20, 'the generator produced a ledger worth comparing');
});

test('deleting a business takes its aggregates with it', async () => {
  const user = await insertUser(db);
  const biz = await insertBusiness(db, user.id);
  await ledger.insertMany(db, actor, [{ business_id: biz.id, kind: 'sale', amount: 100, currency: 'USD', amount_base: 100, occurred_on: TODAY, description: 's', source: 't', external_id: 'x' }]);
  assert.equal((await aggregates.snapshot(db, biz.id)).daily.length, 1);
  await db('businesses').where('id', biz.id).del();
  assert.equal((await db('daily_totals').where('business_id', biz.id)).length, 0);
});

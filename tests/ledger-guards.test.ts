import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signedInOwner, TODAY, type TestContext } from './helpers.ts';
import * as ledger from '../services/ledger/transactions.ts';
import * as audit from '../services/ledger/audit.ts';
import { createReceiptStore } from '../services/ledger/receipts/store.ts';
import * as imports from '../services/ledger/imports/index.ts';
import * as rules from '../services/ledger/rules.ts';
import * as businesses from '../services/access/businesses.ts';

const NOW = new Date(`${TODAY}T12:00:00Z`);

describe('the ledger guards itself', () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<typeof signedInOwner>>;
  let businessId: string;
  let otherBusinessId: string;
  let categoryId: string;

  before(async () => {
    ctx = await createTestApp();
    owner = await signedInOwner(ctx);
    businessId = owner.businessId;
    otherBusinessId = (await insertBusiness(ctx.db, owner.user.id, { name: 'Other Shop' })).id;
    categoryId = (await ctx.db('categories').where({ business_id: businessId, name: 'Software' }).first('id')).id;
  });
  after(() => ctx.close());

  const entriesOf = (ids: string[]) => ctx.db('ledger_audit').whereIn('transaction_id', ids).orderBy('id').select('*');
  const rowsFrom = (source: string, business = businessId) => ctx.db('transactions').where({ business_id: business, source }).pluck('id');

  describe('the audit trail is append-only', () => {
    let entryId: number;
    before(async () => {
      await insertLedgerRows(ctx.db, businessId, [{ description: 'Audited once', source: 'guard' }]);
      entryId = (await entriesOf(await rowsFrom('guard')))[0].id;
    });

    test('an entry cannot be changed', async () => {
      await assert.rejects(ctx.db('ledger_audit').where({ id: entryId }).update({ action: 'delete' }), /append-only/);
      await assert.rejects(ctx.db('ledger_audit').where({ id: entryId }).update({ actor_id: null, actor_label: 'someone else' }), /append-only/);
      assert.equal((await ctx.db('ledger_audit').where({ id: entryId }).first()).action, 'create');
    });

    test('an entry cannot be deleted, nor the trail truncated', async () => {
      await assert.rejects(ctx.db('ledger_audit').where({ id: entryId }).delete(), /append-only/);
      await assert.rejects(ctx.db.raw('truncate ledger_audit'), /append-only/);
      assert.ok(await ctx.db('ledger_audit').where({ id: entryId }).first());
    });

    test('deleting a whole business deletes its trail with it', async () => {
      const user = await insertUser(ctx.db);
      const doomed = await insertBusiness(ctx.db, user.id, { name: 'Doomed' });
      await insertLedgerRows(ctx.db, doomed.id, [{ description: 'Gone soon' }, { description: 'Gone too' }]);
      assert.equal(Number((await ctx.db('ledger_audit').where({ business_id: doomed.id }).count({ n: '*' }).first())!.n), 2);
      await businesses.remove(ctx.db, doomed, doomed.name);
      assert.equal(await ctx.db('businesses').where({ id: doomed.id }).first(), undefined);
      assert.equal(Number((await ctx.db('ledger_audit').where({ business_id: doomed.id }).count({ n: '*' }).first())!.n), 0);
      assert.ok(await ctx.db('ledger_audit').where({ id: entryId }).first(), 'other businesses keep their trail');
    });

    test('removing a user keeps the entries they made, no longer naming them', async () => {
      const user = await insertUser(ctx.db);
      const shop = await insertBusiness(ctx.db, user.id, { name: 'Leaver' });
      await ctx.db.transaction(async (trx) => {
        await audit.actAs(trx, { userId: user.id, now: NOW });
        await trx('transactions').insert({
          business_id: shop.id,
          kind: 'expense',
          amount: -100,
          currency: 'USD',
          amount_base: -100,
          occurred_on: TODAY,
          description: 'By a leaver',
          source: 'leaver',
          external_id: 'l1',
        });
      });
      await ctx.db('users').where({ id: user.id }).delete();
      const [entry] = await ctx.db('ledger_audit').where({ business_id: shop.id, action: 'create' });
      assert.equal(entry.actor_id, null);
      assert.equal(entry.after.description, 'By a leaver');
    });
  });

  describe('every way into the ledger writes one entry per row, naming who acted', () => {
    test('a sync through insertMany is audited as its system actor', async () => {
      const rows = ['a', 'b', 'c'].map((x) => ({
        business_id: businessId,
        kind: 'sale' as const,
        amount: 500,
        currency: 'USD',
        amount_base: 500,
        occurred_on: TODAY,
        description: `Order ${x}`,
        source: 'shop-sync',
        external_id: x,
      }));
      assert.equal(await ledger.insertMany(ctx.db, audit.systemActor('sync:shop', NOW), rows), 3);
      assert.equal(await ledger.insertMany(ctx.db, audit.systemActor('sync:shop', NOW), rows), 0, 'a replay adds nothing');
      const ids = await rowsFrom('shop-sync');
      const entries = await entriesOf(ids);
      assert.equal(entries.length, 3);
      assert.deepEqual(new Set(entries.map((e) => e.transaction_id)), new Set(ids));
      for (const e of entries) {
        assert.deepEqual([e.action, e.actor_id, e.actor_label, e.at.toISOString()], ['create', null, 'system:sync:shop', NOW.toISOString()]);
        assert.equal(e.after.business_id, businessId);
      }
    });

    test('an import is audited row by row as the importing user, and its history names the file', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bursar-guards-'));
      const file = path.join(dir, 'upload.csv');
      writeFileSync(file, 'Date,Description,Amount\n2026-11-01,Coffee,-4.50\n2026-11-02,Paper,-12.00\n2026-11-03,Client,250.00\n');
      const store = createReceiptStore(ctx.config.receipts);
      const started = await imports.importFile(ctx.db, store, { id: businessId, currency: 'USD' }, { userId: owner.user.id, now: NOW }, { path: file, originalname: 'november.csv' }, {});
      await ctx.worker.drain();
      const summary = imports.summaryOf(await imports.find(ctx.db, businessId, started.id));
      assert.equal(summary.imported, 3);
      const ids = await ctx.db('transactions').where({ business_id: businessId, import_batch_id: summary.batch_id }).pluck('id');
      const entries = await entriesOf(ids);
      assert.equal(entries.length, 3);
      assert.ok(entries.every((e) => e.action === 'create' && e.actor_id === owner.user.id && e.actor_label === null));
      const [created] = await audit.history(ctx.db, businessId, ids[0]);
      assert.equal(created.actor_name, owner.user.name);
      assert.equal(created.after?.imported_from, 'november.csv');

      await imports.undo(ctx.db, businessId, { userId: owner.user.id, now: NOW }, summary.batch_id);
      const deletes = await ctx.db('ledger_audit').whereIn('transaction_id', ids).where({ action: 'delete' });
      assert.equal(deletes.length, 3);
      assert.ok(deletes.every((e) => e.actor_id === owner.user.id && e.before.import_batch_id === summary.batch_id));
    });

    test('applying a rule writes one update per row it changes, as the user who applied it', async () => {
      await insertLedgerRows(ctx.db, businessId, [
        { description: 'GITHUB INC', source: 'rule' },
        { description: 'GitHub seats', source: 'rule' },
        { description: 'Lunch', source: 'rule' },
      ]);
      await rules.create(ctx.db, businessId, { field: 'description', match: 'contains', pattern: 'github', min_amount: null, max_amount: null, category_id: categoryId, set_counterparty: 'GitHub' });
      const changed = await rules.applyToLedger(ctx.db, businessId, { userId: owner.user.id, now: NOW }, {});
      assert.ok(changed >= 2);
      const ids = await rowsFrom('rule');
      const updates = (await entriesOf(ids)).filter((e) => e.action === 'update');
      assert.equal(updates.length, 2);
      for (const u of updates) {
        assert.equal(u.actor_id, owner.user.id);
        assert.deepEqual([u.before.category_id, u.after.category_id, u.after.counterparty], [null, categoryId, 'GitHub']);
      }
      await rules.applyToLedger(ctx.db, businessId, { userId: owner.user.id, now: NOW }, {});
      assert.equal((await entriesOf(ids)).filter((e) => e.action === 'update').length, 2, 'a second run changes and records nothing');
    });

    test('an expense created through the API is audited once as the signed-in user', async () => {
      const res = await owner.owner.agent.post('/api/v1/expenses').set('X-CSRF-Token', owner.owner.csrf).send({ business_id: businessId, amount: 4200, description: 'API lunch', spent_on: TODAY });
      assert.equal(res.status, 201);
      const entries = await entriesOf([res.body.id]);
      assert.deepEqual(
        entries.map((e) => [e.action, e.actor_id, e.after.amount]),
        [['create', owner.user.id, -4200]],
      );
    });

    test('plain SQL in a transaction that names its actor is audited as that actor', async () => {
      const ids: string[] = await ctx.db.transaction(async (trx) => {
        await audit.actAs(trx, audit.systemActor('backfill', NOW));
        const { rows } = await trx.raw(
          `insert into transactions (business_id, kind, amount, currency, amount_base, occurred_on, description, source, external_id)
           select ?, 'fee', -g, 'USD', -g, ?, 'Fee ' || g, 'sql', 'sql-' || g from generate_series(1, 5) g returning id`,
          [businessId, TODAY],
        );
        return rows.map((r: { id: string }) => r.id);
      });
      const entries = await entriesOf(ids);
      assert.equal(entries.length, 5);
      assert.ok(entries.every((e) => e.action === 'create' && e.actor_label === 'system:backfill'));
    });

    test('a write that names no actor is still audited, labelled with the database role', async () => {
      const [row] = await ctx
        .db('transactions')
        .insert({ business_id: businessId, kind: 'fee', amount: -1, currency: 'USD', amount_base: -1, occurred_on: TODAY, description: 'psql', source: 'anon' })
        .returning('id');
      const [entry] = await entriesOf([row.id]);
      assert.equal(entry.actor_id, null);
      assert.match(entry.actor_label, /^db:/);
    });

    test('saving a row unchanged records nothing, and a change records its before and after', async () => {
      const [id] = await rowsFrom('guard');
      const count = async () => (await entriesOf([id])).length;
      const before = await count();
      await ctx.db('transactions').where({ id }).update({ updated_at: new Date() });
      assert.equal(await count(), before);
      await ctx.db('transactions').where({ id }).update({ description: 'Audited twice' });
      const last = (await entriesOf([id])).at(-1);
      assert.deepEqual([last.action, last.before.description, last.after.description], ['update', 'Audited once', 'Audited twice']);
    });
  });

  describe('a ledger row references only its own business', () => {
    const row = (overrides: Record<string, unknown>) => ({
      business_id: businessId,
      kind: 'expense',
      amount: -100,
      currency: 'USD',
      amount_base: -100,
      occurred_on: TODAY,
      description: 'Cross',
      source: 'cross',
      ...overrides,
    });

    test("a row filed under another business's category, product or campaign is refused", async () => {
      const theirCategory = (await ctx.db('categories').where({ business_id: otherBusinessId }).first('id')).id;
      const [theirProduct] = await ctx.db('products').insert({ business_id: otherBusinessId, sku: 'X1', name: 'Theirs', currency: 'USD' }).returning('id');
      const [theirCampaign] = await ctx.db('ad_campaigns').insert({ business_id: otherBusinessId, platform: 'meta', external_id: 'c1', name: 'Theirs' }).returning('id');
      await assert.rejects(ctx.db('transactions').insert(row({ category_id: theirCategory })), /foreign key/);
      await assert.rejects(ctx.db('transactions').insert(row({ product_id: theirProduct.id })), /foreign key/);
      await assert.rejects(ctx.db('transactions').insert(row({ campaign_id: theirCampaign.id })), /foreign key/);
      const [mine] = await ctx
        .db('transactions')
        .insert(row({ category_id: categoryId }))
        .returning('id');
      await assert.rejects(ctx.db('transactions').where({ id: mine.id }).update({ category_id: theirCategory }), /foreign key/);
    });

    test('a row cannot move to another business', async () => {
      const [id] = await rowsFrom('cross');
      await assert.rejects(ctx.db('transactions').where({ id }).update({ business_id: otherBusinessId, category_id: null }), /keeps its id and business/);
    });

    test('deleting a category leaves its rows uncategorised in the same business, and audits the change', async () => {
      const [category] = await ctx.db('categories').insert({ business_id: businessId, name: 'Short-lived' }).returning('id');
      const [mine] = await ctx
        .db('transactions')
        .insert(row({ category_id: category.id, external_id: 'short' }))
        .returning('id');
      await ctx.db('categories').where({ id: category.id }).delete();
      const after = await ctx.db('transactions').where({ id: mine.id }).first();
      assert.deepEqual([after.business_id, after.category_id], [businessId, null]);
      const last = (await entriesOf([mine.id])).at(-1);
      assert.deepEqual([last.action, last.before.category_id, last.after.category_id], ['update', category.id, null]);
    });
  });

  describe('codes and rates are checked by the database', () => {
    test('a currency that is not three capital letters is refused', async () => {
      const base = { business_id: businessId, kind: 'expense', amount: -1, amount_base: -1, occurred_on: TODAY, description: 'Bad code', source: 'codes' };
      await assert.rejects(ctx.db('transactions').insert({ ...base, currency: 'usd' }), /check constraint/);
      await assert.rejects(ctx.db('transactions').insert({ ...base, currency: 'U$' }), /check constraint/);
      await assert.rejects(ctx.db('businesses').where({ id: businessId }).update({ currency: 'eu1' }), /check constraint/);
      await assert.rejects(ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'usd', day: TODAY, rate: '1.1' }), /check constraint/);
    });

    test('an exchange rate of zero or less is refused', async () => {
      await assert.rejects(ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: TODAY, rate: '0' }), /check constraint/);
      await assert.rejects(ctx.db('exchange_rates').insert({ base: 'EUR', quote: 'USD', day: TODAY, rate: '-1.2' }), /check constraint/);
    });

    test('a rule with an unknown field or match kind is refused', async () => {
      const rule = { business_id: businessId, pattern: 'x' };
      await assert.rejects(ctx.db('categorization_rules').insert({ ...rule, field: 'amount' }), /check constraint/);
      await assert.rejects(ctx.db('categorization_rules').insert({ ...rule, match: 'glob' }), /check constraint/);
    });
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appWithOwner, insertBusiness, insertUser, signedInMember, signIn } from './helpers.ts';

describe('a sale entered by hand', () => {
  const f = appWithOwner();
  const sale = (fields: Record<string, string>, who = f.owner) =>
    who.agent
      .post(`/b/${f.businessId}/sales`)
      .type('form')
      .send({ _csrf: who.csrf, occurred_on: '2026-11-20', description: 'Market stall', amount: '1,250.00', currency: '', counterparty: '', sku: '', quantity: '', ...fields });

  test('without products the form asks no SKU; the sale lands in the ledger as a sale, audited', async () => {
    const form = await f.owner.agent.get(`/b/${f.businessId}/sales/new`);
    assert.equal(form.status, 200);
    assert.doesNotMatch(form.text, /name="sku"/);
    const res = await sale({ counterparty: 'Walk-in' });
    assert.equal(res.status, 303);
    const row = await f.ctx.db('transactions').where({ business_id: f.businessId, description: 'Market stall' }).first();
    assert.deepEqual([row.kind, row.amount, row.amount_base, row.currency, row.source, row.counterparty, row.product_id], ['sale', 125_000, 125_000, 'USD', 'manual', 'Walk-in', null]);
    const entry = await f.ctx.db('ledger_audit').where({ transaction_id: row.id }).first('action', 'actor_id');
    assert.deepEqual(entry, { action: 'create', actor_id: f.user.id });
    const after = await f.owner.agent.get(`/b/${f.businessId}/sales/new`);
    assert.match(after.text, /Sale recorded/);
  });

  test('with products it takes a SKU and a quantity, and the product counts the units', async () => {
    await f.ctx.db('products').insert({ business_id: f.businessId, sku: 'MUG-01', name: 'Stoneware mug', currency: 'USD', price: 1800 });
    const form = await f.owner.agent.get(`/b/${f.businessId}/sales/new`);
    assert.match(form.text, /<option value="MUG-01">Stoneware mug<\/option>/);
    assert.equal((await sale({ description: 'Three mugs', amount: '54', sku: 'MUG-01', quantity: '3' })).status, 303);
    const row = await f.ctx
      .db('transactions as t')
      .join('products as p', 'p.id', 't.product_id')
      .where({ 't.business_id': f.businessId, 't.description': 'Three mugs' })
      .first('p.sku', 't.quantity', 't.amount');
    assert.deepEqual(row, { sku: 'MUG-01', quantity: 3, amount: 5400 });
    const products = await f.owner.agent.get(`/b/${f.businessId}/products?preset=custom&from=2026-11-01&to=2026-11-30`);
    assert.match(products.text, /MUG-01[\s\S]*\$54\.00/);
  });

  test('bad input answers 422 with field messages and records nothing', async () => {
    const before = await f.ctx.db('transactions').where({ business_id: f.businessId }).count({ n: '*' }).first();
    for (const [fields, message] of [
      [{ amount: '-5' }, /Enter the amount received/],
      [{ amount: 'lots' }, /Enter the amount received/],
      [{ description: '' }, /Say what was sold/],
      [{ occurred_on: '2025-02-30' }, /date/i],
      [{ sku: 'NOPE-9' }, /no product with this SKU/],
      [{ quantity: '2' }, /Say which product/],
      [{ sku: 'MUG-01', quantity: '1.5' }, /whole number of units/],
    ] as const) {
      const res = await sale(fields);
      assert.equal(res.status, 422, JSON.stringify(fields));
      assert.match(res.text, message);
    }
    assert.deepEqual(await f.ctx.db('transactions').where({ business_id: f.businessId }).count({ n: '*' }).first(), before);
  });

  test('a viewer cannot record a sale; a stranger is refused and learns nothing', async () => {
    const viewer = await signedInMember(f.ctx, f.businessId, 'viewer');
    const other = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, other.id);
    const stranger = await signIn(f.ctx.app, other.email, other.password);
    for (const who of [viewer, stranger]) {
      assert.equal((await who.agent.get(`/b/${f.businessId}/sales/new`)).status, 403);
      const res = await sale({ description: 'Sneaky sale' }, who);
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.text, /MUG-01|Stoneware/);
    }
    assert.equal(await f.ctx.db('transactions').where({ description: 'Sneaky sale' }).first(), undefined);
  });
});

describe('a sale in a business that writes a decimal comma', () => {
  const f = appWithOwner({ business: { currency: 'EUR' } });

  test('12,50 is read in the business’s own number format, as the expense form reads it (it was refused as a typo)', async () => {
    await f.ctx.db('businesses').where({ id: f.businessId }).update({ decimal_mark: ',' });
    const res = await f.owner.agent
      .post(`/b/${f.businessId}/sales`)
      .type('form')
      .send({ _csrf: f.owner.csrf, occurred_on: '2026-11-20', description: 'Markt', amount: '12,50', currency: '', counterparty: '', sku: '', quantity: '' });
    assert.equal(res.status, 303);
    const row = await f.ctx.db('transactions').where({ business_id: f.businessId, description: 'Markt' }).first('amount', 'currency');
    assert.deepEqual(row, { amount: 1250, currency: 'EUR' });
  });
});

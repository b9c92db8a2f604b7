import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext, signedInMember } from './helpers.ts';

describe('expenses JSON API', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;
  let stranger: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, user.id)).id;
    owner = await signIn(ctx.app, user.email, user.password);
    viewer = await signedInMember(ctx, businessId, 'viewer');
    const strangerUser = await insertUser(ctx.db);
    await insertBusiness(ctx.db, strangerUser.id, { name: 'Stranger' });
    stranger = await signIn(ctx.app, strangerUser.email, strangerUser.password);
  });
  after(() => ctx.close());

  const create = (body: Record<string, unknown>, who = owner) =>
    who.agent
      .post('/api/v1/expenses')
      .set('X-CSRF-Token', who.csrf)
      .send({ business_id: businessId, ...body });

  test('create, list with a cursor, update and delete an expense in minor units', async () => {
    const made = await create({ amount: 1234, currency: 'USD', description: 'Domain renewal', category: 'Software', spent_on: '2026-11-20', vendor: 'Namecheap' });
    assert.equal(made.status, 201);
    assert.equal(made.body.amount, 1234);
    assert.equal(made.body.category.name, 'Software');
    assert.equal(made.body.spent_on, '2026-11-20');
    for (let i = 0; i < 3; i++) assert.equal((await create({ amount: 100 + i, description: `Pen ${i}`, spent_on: `2026-11-0${i + 1}` })).status, 201);
    const first = await owner.agent.get('/api/v1/expenses').query({ business_id: businessId, limit: 2 });
    assert.equal(first.status, 200);
    assert.equal(first.body.expenses.length, 2);
    assert.equal(first.body.expenses[0].description, 'Domain renewal');
    const second = await owner.agent.get('/api/v1/expenses').query({ business_id: businessId, limit: 2, cursor: first.body.next_cursor });
    assert.equal(second.body.expenses.length, 2);
    assert.equal(second.body.next_cursor, null);
    const ranged = await owner.agent.get('/api/v1/expenses').query({ business_id: businessId, start_date: '2026-11-02', end_date: '2026-11-03' });
    assert.deepEqual(ranged.body.expenses.map((e: { description: string }) => e.description).sort(), ['Pen 1', 'Pen 2']);
    const put = await owner.agent
      .put(`/api/v1/expenses/${made.body.id}`)
      .set('X-CSRF-Token', owner.csrf)
      .send({ business_id: businessId, amount: 1500, description: 'Domain renewal (2y)', spent_on: '2026-11-20' });
    assert.equal(put.status, 200);
    assert.equal(put.body.amount, 1500);
    const del = await owner.agent.delete(`/api/v1/expenses/${made.body.id}`).set('X-CSRF-Token', owner.csrf).query({ business_id: businessId });
    assert.equal(del.status, 204);
  });

  test('validation errors are 422 with details per field', async () => {
    const res = await create({ amount: 12.5, description: '', spent_on: '25/11/2026' });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'validation');
    assert.ok(res.body.error.details.amount);
    assert.ok(res.body.error.details.description);
    assert.ok(res.body.error.details.spent_on);
  });

  test('a viewer gets 403 on writes; a stranger gets 403 and never the data', async () => {
    assert.equal((await create({ amount: 1, description: 'x', spent_on: '2026-11-01' }, viewer)).status, 403);
    const list = await viewer.agent.get('/api/v1/expenses').query({ business_id: businessId });
    assert.equal(list.status, 200);
    const row = await ctx.db('transactions').where({ business_id: businessId }).first('id');
    const res = await stranger.agent.get('/api/v1/expenses').query({ business_id: businessId });
    assert.equal(res.status, 403);
    const put = await stranger.agent.put(`/api/v1/expenses/${row.id}`).set('X-CSRF-Token', stranger.csrf).send({ amount: 1, description: 'hijack', spent_on: '2026-11-01' });
    assert.equal(put.status, 404, 'in the stranger’s own business the id does not exist');
    assert.notEqual((await ctx.db('transactions').where({ id: row.id }).first()).description, 'hijack');
  });

  test('categories list id, name and icon', async () => {
    const res = await owner.agent.get('/api/v1/categories').query({ business_id: businessId });
    assert.equal(res.status, 200);
    assert.ok(res.body.categories.some((c: { name: string; icon: string }) => c.name === 'Rent' && c.icon === 'building'));
  });
});

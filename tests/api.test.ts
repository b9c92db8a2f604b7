import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';

describe('JSON API basics', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('without credentials the API answers 401 in JSON', async () => {
    const res = await request(ctx.app).get('/api/v1/users/me');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
  });

  test('/users/me lists my businesses and my role in each', async () => {
    const user = await insertUser(ctx.db, { name: 'Mia' });
    const biz = await insertBusiness(ctx.db, user.id, { name: 'Mia Makes' });
    const { agent } = await signIn(ctx.app, user.email, user.password);
    const res = await agent.get('/api/v1/users/me');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { id: user.id, email: user.email, name: 'Mia', businesses: [{ id: biz.id, name: 'Mia Makes', role: 'owner' }] });
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { hashToken } from '../services/core/crypto.ts';
import { createTestApp, insertUser, signIn, type TestContext } from './helpers.ts';

describe('personal API tokens', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  async function createToken(agent: Awaited<ReturnType<typeof signIn>>, name: string, scope: string) {
    const res = await agent.agent.post('/account/tokens').type('form').send({ _csrf: agent.csrf, name, scope });
    assert.equal(res.status, 201);
    return /id="new-token">([^<]+)</.exec(res.text)![1];
  }

  test('a token is shown once, stored hashed, works as a bearer, records its last use and can be revoked', async () => {
    const user = await insertUser(ctx.db, { name: 'Scripty' });
    const me = await signIn(ctx.app, user.email, user.password);
    const token = await createToken(me, 'Export script', 'write');
    assert.match(token, /^bsr_pat_/);
    const row = await ctx.db('api_tokens').where({ user_id: user.id }).first();
    assert.equal(row.token_hash, hashToken(token));
    assert.equal(row.last_used_at, null);

    const list = await me.agent.get('/account/tokens');
    assert.match(list.text, /Export script/);
    assert.doesNotMatch(list.text, new RegExp(token), 'never shown again');
    assert.match(list.text, /never/);

    const api = await request(ctx.app).get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
    assert.equal(api.status, 200);
    assert.equal(api.body.name, 'Scripty');
    const write = await request(ctx.app).post('/api/v1/users/businesses').set('Authorization', `Bearer ${token}`).send({ name: 'Script Shop', currency: 'USD' });
    assert.equal(write.status, 201);
    const used = await ctx.db('api_tokens').where({ id: row.id }).first('last_used_at');
    assert.equal(new Date(used.last_used_at).toISOString(), ctx.clock.now().toISOString());

    const revoked = await me.agent.post('/account/revoked-tokens').type('form').send({ _csrf: me.csrf, token: row.id });
    assert.equal(revoked.status, 303);
    assert.equal((await request(ctx.app).get('/api/v1/users/me').set('Authorization', `Bearer ${token}`)).status, 401);
  });

  test('a read-scoped token reads but cannot write', async () => {
    const user = await insertUser(ctx.db);
    const me = await signIn(ctx.app, user.email, user.password);
    const token = await createToken(me, 'Dashboard', 'read');
    assert.equal((await request(ctx.app).get('/api/v1/users/me').set('Authorization', `Bearer ${token}`)).status, 200);
    const write = await request(ctx.app).patch('/api/v1/users/me').set('Authorization', `Bearer ${token}`).send({ name: 'Hacked' });
    assert.equal(write.status, 403);
    assert.notEqual((await ctx.db('users').where({ id: user.id }).first('name')).name, 'Hacked');
  });

  test("nobody can revoke another user's token, and a nameless token is refused", async () => {
    const alice = await insertUser(ctx.db);
    const bob = await insertUser(ctx.db);
    const a = await signIn(ctx.app, alice.email, alice.password);
    const b = await signIn(ctx.app, bob.email, bob.password);
    await createToken(a, 'Alice script', 'read');
    const aliceToken = await ctx.db('api_tokens').where({ user_id: alice.id }).first('id');
    const res = await b.agent.post('/account/revoked-tokens').type('form').send({ _csrf: b.csrf, token: aliceToken.id });
    assert.equal(res.status, 404);
    assert.equal((await ctx.db('api_tokens').where({ id: aliceToken.id }).first('revoked_at')).revoked_at, null);
    const nameless = await a.agent.post('/account/tokens').type('form').send({ _csrf: a.csrf, name: '', scope: 'read' });
    assert.equal(nameless.status, 422);
    assert.match(nameless.text, /Name the token/);
  });
});

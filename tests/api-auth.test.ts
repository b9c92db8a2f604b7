import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { hashToken } from '../services/core/crypto.ts';
import { addMember, createTestApp, insertBusiness, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';

describe('JSON API auth', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  const api = () => request(ctx.app);
  async function login(email: string, password: string) {
    const res = await api().post('/api/v1/auth/login').send({ email, password });
    assert.equal(res.status, 200);
    return res.body as { token: string; refresh_token: string };
  }

  test('signup answers 201 with the user and a token pair; the access token reads /users/me', async () => {
    const res = await api().post('/api/v1/auth/signup').send({ email: 'Api@Example.com', password: 'api long password', name: 'Api Person' });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.email, 'api@example.com');
    assert.equal(res.body.expires_in, 1800);
    assert.equal(res.body.token.split('.').length, 3, 'a JWT');
    const stored = await ctx.db('refresh_tokens').where({ user_id: res.body.user.id }).first('token_hash');
    assert.equal(stored.token_hash, hashToken(res.body.refresh_token), 'the refresh token is stored hashed');
    const me = await api().get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.token}`);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: res.body.user.id, email: 'api@example.com', name: 'Api Person', businesses: [] });
  });

  test('signup validation is a 422 with details per field', async () => {
    const res = await api().post('/api/v1/auth/signup').send({ email: 'nope', password: 'short' });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'validation');
    assert.ok(res.body.error.details.email && res.body.error.details.password && res.body.error.details.name);
  });

  test('a wrong password is 401; the access token stops working after 30 minutes', async () => {
    const user = await insertUser(ctx.db);
    const wrong = await api().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong one' });
    assert.equal(wrong.status, 401);
    const { token } = await login(user.email, user.password);
    ctx.clock.advance(29 * 60_000);
    try {
      assert.equal((await api().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`)).status, 200);
      ctx.clock.advance(2 * 60_000);
      const late = await api().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
      assert.equal(late.status, 401);
      assert.equal(late.body.error.code, 'unauthorized');
    } finally {
      ctx.clock.set(`${TODAY}T12:00:00Z`);
    }
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await api().get('/api/v1/users/me').set('Authorization', `Bearer ${forged}`)).status, 401);
  });

  test('refreshing rotates the token; a stolen token used after rotation revokes the whole family', async () => {
    const user = await insertUser(ctx.db);
    const first = await login(user.email, user.password);
    const second = await api().post('/api/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    assert.equal((await api().get('/api/v1/users/me').set('Authorization', `Bearer ${second.body.token}`)).status, 200);

    const thief = await api().post('/api/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    assert.equal(thief.status, 401, 'the rotated token is refused');
    const owner = await api().post('/api/v1/auth/refresh').send({ refresh_token: second.body.refresh_token });
    assert.equal(owner.status, 401, 'and the newest token of the family is revoked with it');

    const other = await login(user.email, user.password);
    assert.equal((await api().post('/api/v1/auth/refresh').send({ refresh_token: other.refresh_token })).status, 200, 'another sign-in is a separate family');
  });

  test('a refresh token expires after 7 days, and logout revokes it', async () => {
    const user = await insertUser(ctx.db);
    const pair = await login(user.email, user.password);
    ctx.clock.advance(7 * 86_400_000 + 1000);
    try {
      assert.equal((await api().post('/api/v1/auth/refresh').send({ refresh_token: pair.refresh_token })).status, 401);
    } finally {
      ctx.clock.set(`${TODAY}T12:00:00Z`);
    }
    const fresh = await login(user.email, user.password);
    const out = await api().post('/api/v1/auth/logout').send({ refresh_token: fresh.refresh_token });
    assert.equal(out.status, 204);
    assert.equal((await api().post('/api/v1/auth/refresh').send({ refresh_token: fresh.refresh_token })).status, 401);
  });

  test('bearer writes need no CSRF token; writes with the session cookie still do', async () => {
    const user = await insertUser(ctx.db);
    const { token } = await login(user.email, user.password);
    const created = await api()
      .post('/api/v1/users/businesses')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'Bearer Bakery', currency: 'eur', revenue_estimate: 1234500, founded_at: '2020-05-01' });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'Bearer Bakery');
    assert.deepEqual(created.body.revenue_estimate, { amount: 1234500, currency: 'EUR' });
    assert.equal(created.body.founded_at, '2020-05-01');
    assert.equal(created.body.role, 'owner');

    const { agent, csrf } = await signIn(ctx.app, user.email, user.password);
    const noCsrf = await agent.post('/api/v1/users/businesses').send({ name: 'Cookie Co', currency: 'USD' });
    assert.equal(noCsrf.status, 403);
    const withCsrf = await agent.post('/api/v1/users/businesses').set('X-CSRF-Token', csrf).send({ name: 'Cookie Co', currency: 'USD' });
    assert.equal(withCsrf.status, 201);

    const badBearer = await agent.post('/api/v1/users/businesses').set('Authorization', 'Bearer not-a-token').send({ name: 'Sneaky', currency: 'USD' });
    assert.equal(badBearer.status, 401, 'a bad bearer token never falls back to the cookie');
    assert.equal(await ctx.db('businesses').where({ name: 'Sneaky' }).first(), undefined);
  });

  test('PATCH /users/me changes my name; PATCH /users/businesses/{id} is for owners and admins', async () => {
    const owner = await insertUser(ctx.db);
    const biz = await insertBusiness(ctx.db, owner.id, { name: 'Patch Plants' });
    const member = await insertUser(ctx.db);
    await addMember(ctx.db, biz.id, member.id, 'member');
    const stranger = await insertUser(ctx.db);
    const ownerToken = (await login(owner.email, owner.password)).token;

    const me = await api().patch('/api/v1/users/me').set('Authorization', `Bearer ${ownerToken}`).send({ name: 'Renamed Owner', avatar_url: 'https://example.com/a.png' });
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'Renamed Owner');
    assert.equal((await ctx.db('users').where({ id: owner.id }).first('name')).name, 'Renamed Owner');
    const badUrl = await api().patch('/api/v1/users/me').set('Authorization', `Bearer ${ownerToken}`).send({ avatar_url: 'javascript:alert(1)' });
    assert.equal(badUrl.status, 422);

    const patch = (token: string) => api().patch(`/api/v1/users/businesses/${biz.id}`).set('Authorization', `Bearer ${token}`).send({ industry: 'Retail' });
    assert.equal((await patch((await login(member.email, member.password)).token)).status, 403);
    const strangerRes = await patch((await login(stranger.email, stranger.password)).token);
    assert.equal(strangerRes.status, 403);
    assert.doesNotMatch(strangerRes.text, /Patch Plants/);
    const ok = await patch(ownerToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.industry, 'Retail');
    assert.equal(ok.body.name, 'Patch Plants', 'fields not sent are kept');
  });

  test('API sign-ins share the rate limit of the sign-in form', async () => {
    const user = await insertUser(ctx.db);
    for (let i = 0; i < ctx.config.rateLimits.loginPerAccount; i++) {
      assert.equal(
        (
          await api()
            .post('/api/v1/auth/login')
            .send({ email: user.email, password: `guess ${i}` })
        ).status,
        401,
      );
    }
    const blocked = await api().post('/api/v1/auth/login').send({ email: user.email, password: user.password });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'rate_limited');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { businessRoutes, listRoutes } from '../routes/index.ts';
import { testConfig } from '../services/core/config.ts';
import { createLogger } from '../services/core/logger.ts';
import { systemClock } from '../services/core/clock.ts';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext, signedInMember } from './helpers.ts';

/** Every /b/:businessId route, with any further parameters filled with fresh uuids. */
function everyBusinessRoute(ctx: TestContext) {
  const router = businessRoutes({ db: ctx.db, config: testConfig(), clock: systemClock, logger: createLogger('silent') });
  return listRoutes(router).map((r) => ({ method: r.method, path: r.path.replace(/:\w+/g, () => randomUUID()) }));
}

describe('tenant isolation', () => {
  let ctx: TestContext;
  let businessId: string;
  let stranger: Awaited<ReturnType<typeof signIn>>;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    const ownerUser = await insertUser(ctx.db);
    const business = await insertBusiness(ctx.db, ownerUser.id, { name: 'Secret Widgets Ltd' });
    businessId = business.id;
    const strangerUser = await insertUser(ctx.db);
    await insertBusiness(ctx.db, strangerUser.id, { name: 'Stranger Co' });
    owner = await signIn(ctx.app, ownerUser.email, ownerUser.password);
    stranger = await signIn(ctx.app, strangerUser.email, strangerUser.password);
  });
  after(() => ctx.close());

  test('the walk covers the business routes that exist', () => {
    const routes = everyBusinessRoute(ctx);
    assert.ok(routes.some((r) => r.method === 'GET' && r.path === '/'));
    assert.ok(routes.some((r) => r.method === 'POST' && r.path === '/settings'));
  });

  test('a stranger gets 403 on every business route, in HTML and JSON, and learns nothing', async () => {
    for (const route of everyBusinessRoute(ctx)) {
      const url = `/b/${businessId}${route.path === '/' ? '' : route.path}`;
      for (const accept of ['text/html', 'application/json']) {
        const req = stranger.agent[route.method.toLowerCase() as 'get'](url).set('Accept', accept).set('X-CSRF-Token', stranger.csrf);
        const res = await req;
        assert.equal(res.status, 403, `${route.method} ${url} (${accept}) answered ${res.status}`);
        assert.doesNotMatch(res.text, /Secret Widgets/, `${route.method} ${url} leaked the business name`);
        if (accept === 'application/json') assert.equal(res.body.error.code, 'forbidden');
      }
    }
  });

  test('a business that does not exist looks exactly like one the user may not see', async () => {
    const missing = await stranger.agent.get(`/b/${randomUUID()}`).set('Accept', 'application/json');
    const hidden = await stranger.agent.get(`/b/${businessId}`).set('Accept', 'application/json');
    assert.equal(missing.status, 403);
    assert.deepEqual(missing.body, hidden.body);
    const garbage = await stranger.agent.get('/b/not-a-uuid');
    assert.equal(garbage.status, 403);
  });

  test('a member sees the business pages', async () => {
    const res = await owner.agent.get(`/b/${businessId}`);
    assert.equal(res.status, 200);
    assert.match(res.text, /Secret Widgets Ltd/);
  });

  test('a signed-out visitor is sent to sign in, and JSON gets 401', async () => {
    const { default: request } = await import('supertest');
    const page = await request(ctx.app).get(`/b/${businessId}/settings`);
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, `/login?next=${encodeURIComponent(`/b/${businessId}/settings`)}`);
    const json = await request(ctx.app).get(`/b/${businessId}`).set('Accept', 'application/json');
    assert.equal(json.status, 401);
  });

  test('a viewer can read the settings but cannot change them', async () => {
    const viewer = await signedInMember(ctx, businessId, 'viewer');
    const page = await viewer.agent.get(`/b/${businessId}/settings`);
    assert.equal(page.status, 200);
    const res = await viewer.agent.post(`/b/${businessId}/settings`).type('form').send({ _csrf: viewer.csrf, name: 'Renamed by viewer', currency: 'USD' });
    assert.equal(res.status, 403);
    const row = await ctx.db('businesses').where({ id: businessId }).first('name');
    assert.equal(row.name, 'Secret Widgets Ltd');
  });
});

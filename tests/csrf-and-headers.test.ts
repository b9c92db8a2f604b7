import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, insertBusiness, insertUser, signIn, type TestContext } from './helpers.ts';

describe('CSRF and security headers', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('a state-changing request without a valid CSRF token is refused and changes nothing', async () => {
    const user = await insertUser(ctx.db);
    const { agent, csrf } = await signIn(ctx.app, user.email, user.password);
    const missing = await agent.post('/businesses').type('form').send({ name: 'Forged', currency: 'USD' });
    assert.equal(missing.status, 403);
    const wrong = await agent
      .post('/businesses')
      .type('form')
      .send({ _csrf: 'x'.repeat(43), name: 'Forged', currency: 'USD' });
    assert.equal(wrong.status, 403);
    assert.equal((await ctx.db('businesses').where({ name: 'Forged' })).length, 0);
    const viaHeader = await agent.post('/businesses').set('X-CSRF-Token', csrf).type('form').send({ name: 'Real', currency: 'USD' });
    assert.equal(viaHeader.status, 303, 'htmx sends the token as a header');
  });

  test('a sign-in form posted from elsewhere is refused', async () => {
    const user = await insertUser(ctx.db);
    const res = await request(ctx.app).post('/login').type('form').send({ email: user.email, password: user.password });
    assert.equal(res.status, 403);
  });

  test('every page carries a CSP with no inline script, and the usual security headers', async () => {
    const res = await request(ctx.app).get('/login');
    const csp = res.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.doesNotMatch(res.text, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page');
    assert.doesNotMatch(res.text, /hx-on/);
  });

  test('what a signed-in user is shown is never stored by a browser or a shared cache; assets still are', async () => {
    const user = await insertUser(ctx.db);
    const business = await insertBusiness(ctx.db, user.id);
    const { agent } = await signIn(ctx.app, user.email, user.password);
    for (const path of ['/businesses', `/b/${business.id}`, `/b/${business.id}/expenses`, `/b/${business.id}/pnl`]) {
      const res = await agent.get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['cache-control'], 'private, no-store', path);
    }
    const fragment = await agent.get(`/b/${business.id}`).set('HX-Request', 'true');
    assert.equal(fragment.headers['cache-control'], 'private, no-store', 'a cached report fragment too');
    const asset = await agent.get('/vendor/htmx.min.js');
    assert.match(String(asset.headers['cache-control']), /max-age=\d+/);
    const signedOut = await request(ctx.app).get('/login');
    assert.doesNotMatch(String(signedOut.headers['cache-control'] ?? ''), /private/);
  });

  test('htmx, Alpine and the stylesheet are served locally', async () => {
    for (const path of ['/vendor/htmx.min.js', '/vendor/alpine-csp.min.js', '/vendor/uPlot.iife.min.js', '/static/css/app.css', '/static/js/app.js']) {
      const res = await request(ctx.app).get(path);
      assert.equal(res.status, 200, path);
    }
  });

  test('an unknown page is a 404 page, and JSON clients get a JSON error', async () => {
    const page = await request(ctx.app).get('/no-such-page');
    assert.equal(page.status, 404);
    assert.match(page.text, /Page not found/);
    const json = await request(ctx.app).get('/no-such-page').set('Accept', 'application/json');
    assert.deepEqual(json.body, { error: { code: 'not_found', message: 'There is no page at this address.' } });
  });
});

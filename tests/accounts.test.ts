import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, csrfFrom, insertUser, signIn, type TestContext } from './helpers.ts';

async function formToken(agent: ReturnType<typeof request.agent>, path: string) {
  return csrfFrom((await agent.get(path)).text);
}

describe('sign up, sign in, sign out', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('signing up creates the account, signs in and asks for a first business', async () => {
    const agent = request.agent(ctx.app);
    const token1 = await formToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ _csrf: token1, name: 'Ada', email: 'Ada@Example.com', password: 'a long enough password' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/businesses/new');
    const user = await ctx.db('users').where({ email: 'ada@example.com' }).first();
    assert.ok(user);
    assert.match(user.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const page = await agent.get('/businesses/new');
    assert.equal(page.status, 200);
    assert.match(page.text, /Ada/);
  });

  test('a bad email and a short password re-render the form with messages and write nothing', async () => {
    const agent = request.agent(ctx.app);
    const before = await ctx.db('users').count({ n: '*' }).first();
    const token2 = await formToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ _csrf: token2, name: 'Bob', email: 'not-an-email', password: 'short' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter a valid email address/);
    assert.match(res.text, /Use at least 10 characters/);
    assert.match(res.text, /value="Bob"/, 'the name typed is kept');
    const afterCount = await ctx.db('users').count({ n: '*' }).first();
    assert.deepEqual(afterCount, before);
  });

  test('an htmx submission gets only the form back, with the errors', async () => {
    const agent = request.agent(ctx.app);
    const token3 = await formToken(agent, '/signup');
    const res = await agent.post('/signup').set('HX-Request', 'true').type('form').send({ _csrf: token3, name: '', email: 'x@example.com', password: 'long enough password' });
    assert.equal(res.status, 422);
    assert.match(res.text, /^<form id="signup-form"/m);
    assert.doesNotMatch(res.text, /<html/);
    assert.match(res.text, /Enter your name/);
  });

  test('an email already registered is refused with a message', async () => {
    const existing = await insertUser(ctx.db, { email: 'taken@example.com' });
    const agent = request.agent(ctx.app);
    const token4 = await formToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ _csrf: token4, name: 'Copy', email: 'TAKEN@example.com', password: 'another long password' });
    assert.equal(res.status, 422);
    assert.match(res.text, /already exists/);
    const rows = await ctx.db('users').whereRaw('lower(email) = ?', [existing.email]);
    assert.equal(rows.length, 1);
  });

  test('a wrong password is refused without saying which part was wrong', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const token5 = await formToken(agent, '/login');
    const token6 = token5;
    const res = await agent.post('/login').type('form').send({ _csrf: token5, email: user.email, password: 'wrong password' });
    assert.equal(res.status, 422);
    assert.match(res.text, /do not match an account/);
    const unknown = await agent.post('/login').type('form').send({ _csrf: token6, email: 'nobody@example.com', password: 'x' });
    assert.equal(unknown.status, 422);
    assert.match(unknown.text, /do not match an account/);
  });

  test('signing in issues a new session id, and the session lives in the database', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const loginPage = await agent.get('/login');
    const before = /bursar\.sid=([^;]+)/.exec(String(loginPage.headers['set-cookie']))?.[1];
    assert.ok(before, 'the sign-in form starts an anonymous session for its CSRF token');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(loginPage.text), email: user.email, password: user.password });
    const afterSid = /bursar\.sid=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1];
    assert.ok(afterSid);
    assert.notEqual(afterSid, before);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const rows = await ctx.db('sessions').select('sess');
    assert.ok(rows.some((r) => (typeof r.sess === 'string' ? JSON.parse(r.sess) : r.sess).userId === user.id));
  });

  test('"remember me" keeps the cookie for 30 days; otherwise it is a browser session', async () => {
    const user = await insertUser(ctx.db);
    const remembered = request.agent(ctx.app);
    const token7 = await formToken(remembered, '/login');
    const r1 = await remembered.post('/login').type('form').send({ _csrf: token7, email: user.email, password: user.password, remember_me: 'on' });
    assert.match(String(r1.headers['set-cookie']), /Expires=/);
    const browser = request.agent(ctx.app);
    const token8 = await formToken(browser, '/login');
    const r2 = await browser.post('/login').type('form').send({ _csrf: token8, email: user.email, password: user.password });
    assert.doesNotMatch(String(r2.headers['set-cookie']), /Expires=/);
  });

  test('a remembered session slides its expiry forward at most once an hour, not on every request', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const token = await formToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf: token, email: user.email, password: user.password, remember_me: 'on' });
    const expiry = async () => {
      const rows = await ctx.db('sessions').select('sess', 'expired');
      const row = rows.find((r) => (typeof r.sess === 'string' ? JSON.parse(r.sess) : r.sess).userId === user.id);
      return new Date(row.expired).getTime();
    };
    const marker = new Date('2027-01-01T00:00:00Z');
    const mark = async () => {
      const rows = await ctx.db('sessions').select('sid', 'sess');
      const sid = rows.find((r) => (typeof r.sess === 'string' ? JSON.parse(r.sess) : r.sess).userId === user.id).sid;
      await ctx.db('sessions').where({ sid }).update({ expired: marker });
    };
    // The first requests after sign-in may still save the session's data; then it only slides.
    assert.equal((await agent.get('/businesses')).status, 200);
    assert.equal((await agent.get('/businesses')).status, 200);
    await mark();
    assert.equal((await agent.get('/businesses')).status, 200);
    assert.equal(await expiry(), marker.getTime(), 'a second request within the hour writes nothing');
    ctx.clock.advance(2 * 3600_000);
    assert.equal((await agent.get('/businesses')).status, 200);
    assert.notEqual(await expiry(), marker.getTime(), 'after an hour the expiry moves again');
    ctx.clock.set('2026-11-25T12:00:00Z');
  });

  test('a browser session ends 12 hours after sign-in, however active', async () => {
    const user = await insertUser(ctx.db);
    const { agent } = await signIn(ctx.app, user.email, user.password);
    assert.equal((await agent.get('/businesses')).status, 200);
    ctx.clock.advance(11 * 3600_000);
    assert.equal((await agent.get('/businesses')).status, 200);
    ctx.clock.advance(2 * 3600_000);
    const res = await agent.get('/businesses');
    assert.equal(res.status, 302);
    assert.match(res.headers.location, /^\/login/);
    ctx.clock.set('2026-11-25T12:00:00Z');
  });

  test('signing out ends the session in the database', async () => {
    const user = await insertUser(ctx.db);
    const { agent, csrf } = await signIn(ctx.app, user.email, user.password);
    const sessionsOf = async () => (await ctx.db('sessions').select('sess')).filter((r) => (typeof r.sess === 'string' ? JSON.parse(r.sess) : r.sess).userId === user.id).length;
    assert.equal(await sessionsOf(), 1);
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf });
    assert.equal(res.status, 303);
    assert.equal(await sessionsOf(), 0);
    const after = await agent.get('/businesses');
    assert.equal(after.status, 302);
  });

  test('an htmx sign-in is told to load the next page instead of following a redirect into the form', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const token = await formToken(agent, '/login');
    const res = await agent.post('/login').set('HX-Request', 'true').type('form').send({ _csrf: token, email: user.email, password: user.password, next: '/businesses' });
    assert.equal(res.status, 204);
    assert.equal(res.headers['hx-redirect'], '/businesses');
  });

  test('sign-in only redirects to paths on this site', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const token9 = await formToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ _csrf: token9, email: user.email, password: user.password, next: '//evil.example.com/' });
    assert.equal(res.headers.location, '/');
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { hashToken } from '../services/core/crypto.ts';
import { runJob } from '../services/jobs/runtime.ts';
import { createLogger } from '../services/core/logger.ts';
import { captureLogger, createTestApp, csrfFrom, insertUser, signIn, TODAY, type TestContext } from './helpers.ts';

type Agent = ReturnType<typeof request.agent>;

/** The link in the newest outbox message to this address. */
async function linkMailedTo(ctx: TestContext, email: string): Promise<URL> {
  const row = await ctx.db('outbox').where({ to_address: email }).orderBy('created_at', 'desc').first('text');
  assert.ok(row, `no mail to ${email}`);
  const m = /(http\S+token=\S+)/.exec(row.text);
  assert.ok(m, 'the mail carries a link');
  return new URL(m[1]);
}

async function postForm(agent: Agent, page: string, action: string, fields: Record<string, string>) {
  const csrf = csrfFrom((await agent.get(page)).text);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrf, ...fields });
}

async function sessionsOf(ctx: TestContext, userId: string) {
  return (await ctx.db('sessions').select('sess')).filter((r) => (typeof r.sess === 'string' ? JSON.parse(r.sess) : r.sess).userId === userId).length;
}

describe('magic links and password reset', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('a magic link signs in once; the second use and a use after 15 minutes are refused', async () => {
    const user = await insertUser(ctx.db, { name: 'Maggie' });
    const agent = request.agent(ctx.app);
    const sent = await postForm(agent, '/login/magic-link', '/login/magic-link', { email: user.email.toUpperCase() });
    assert.equal(sent.status, 200);
    assert.match(sent.text, /Check your email/);
    const link = await linkMailedTo(ctx, user.email);
    assert.equal(link.pathname, '/login/magic');
    const token = link.searchParams.get('token')!;
    assert.ok(Buffer.from(token, 'base64url').length >= 16, 'at least 128 bits');
    const stored = await ctx.db('email_tokens').where({ user_id: user.id }).first('token_hash');
    assert.equal(stored.token_hash, hashToken(token), 'only the hash is stored');

    const confirm = await agent.get(`${link.pathname}${link.search}`);
    assert.equal(confirm.status, 200, 'following the link shows a button; it does not sign in on GET');
    assert.equal(await sessionsOf(ctx, user.id), 0);
    const used = await agent
      .post('/login/magic')
      .type('form')
      .send({ _csrf: csrfFrom(confirm.text), token });
    assert.equal(used.status, 303);
    const home = await agent.get('/businesses');
    assert.equal(home.status, 200);
    assert.match(home.text, /Maggie/);
    assert.ok((await ctx.db('users').where({ id: user.id }).first('email_verified_at')).email_verified_at, 'the link proved the address');

    const other = request.agent(ctx.app);
    const again = await postForm(other, `${link.pathname}${link.search}`, '/login/magic', { token });
    assert.equal(again.status, 410);
    assert.match(again.text, /no longer works/);
    assert.equal((await other.get('/businesses')).status, 302, 'still signed out');

    await postForm(other, '/login/magic-link', '/login/magic-link', { email: user.email });
    const late = (await linkMailedTo(ctx, user.email)).searchParams.get('token')!;
    assert.notEqual(late, token);
    ctx.clock.advance(15 * 60_000 + 1000);
    const expired = await postForm(other, '/login/magic', '/login/magic', { token: late });
    assert.equal(expired.status, 410);
    ctx.clock.set(`${TODAY}T12:00:00Z`);
  });

  test('asking for a link answers the same whether or not the email has an account', async () => {
    const user = await insertUser(ctx.db);
    const known = await postForm(request.agent(ctx.app), '/login/magic-link', '/login/magic-link', { email: user.email });
    const unknown = await postForm(request.agent(ctx.app), '/login/magic-link', '/login/magic-link', { email: 'nobody-here@example.com' });
    assert.equal(known.status, unknown.status);
    const strip = (html: string, email: string) =>
      html
        .replace(email, 'EMAIL')
        .replace(/value="[^"]+"/g, '')
        .replace(/"X-CSRF-Token": "[^"]+"/g, '');
    assert.equal(strip(known.text, user.email), strip(unknown.text, 'nobody-here@example.com'));
    assert.equal(await ctx.db('outbox').where({ to_address: 'nobody-here@example.com' }).first(), undefined);
    const resetUnknown = await postForm(request.agent(ctx.app), '/password-reset', '/password-reset', { email: 'nobody-here@example.com' });
    assert.equal(resetUnknown.status, 200);
    assert.match(resetUnknown.text, /If nobody-here@example.com belongs to a Bursar account/);
  });

  test('a password reset makes the old password fail and signs out every other session', async () => {
    const user = await insertUser(ctx.db);
    const laptop = await signIn(ctx.app, user.email, user.password);
    const phone = await signIn(ctx.app, user.email, user.password);
    assert.equal(await sessionsOf(ctx, user.id), 2);

    const browser = request.agent(ctx.app);
    await postForm(browser, '/password-reset', '/password-reset', { email: user.email });
    const link = await linkMailedTo(ctx, user.email);
    assert.equal(link.pathname, '/password-reset/new');
    const form = await browser.get(`${link.pathname}${link.search}`);
    assert.equal(form.status, 200);
    const short = await browser
      .post('/password-reset/new')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), token: link.searchParams.get('token'), password: 'short' });
    assert.equal(short.status, 422);
    assert.match(short.text, /Use at least 10 characters/);
    const done = await browser
      .post('/password-reset/new')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), token: link.searchParams.get('token'), password: 'a brand new password' });
    assert.equal(done.status, 303);
    assert.equal((await browser.get('/businesses')).status, 200, 'the browser that reset is signed in');

    assert.equal((await laptop.agent.get('/businesses')).status, 302, 'the laptop is signed out');
    assert.equal((await phone.agent.get('/businesses')).status, 302, 'the phone is signed out');
    await assert.rejects(signIn(ctx.app, user.email, user.password), /422/);
    await signIn(ctx.app, user.email, 'a brand new password');

    const reused = await postForm(request.agent(ctx.app), '/login', '/password-reset/new', { token: link.searchParams.get('token')!, password: 'yet another password' });
    assert.equal(reused.status, 410, 'the reset link works once');
  });
});

describe('rate limits', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('the 11th failed sign-in for one account gets 429, while another account from the same address still signs in', async () => {
    assert.equal(ctx.config.rateLimits.loginPerAccount, 10);
    const target = await insertUser(ctx.db);
    const other = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const csrf = csrfFrom((await agent.get('/login')).text);
    for (let i = 1; i <= 10; i++) {
      const res = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, email: target.email, password: `guess ${i}` });
      assert.equal(res.status, 422, `attempt ${i}`);
    }
    const blocked = await agent.post('/login').type('form').send({ _csrf: csrf, email: target.email, password: target.password });
    assert.equal(blocked.status, 429, 'even the right password waits out the window');
    assert.equal(blocked.headers['retry-after'], String(ctx.config.rateLimits.windowSeconds));
    assert.match(blocked.text, /Slow down/);
    assert.match(blocked.text, /wait 15 minutes/);

    const fine = await agent.post('/login').type('form').send({ _csrf: csrf, email: other.email, password: other.password });
    assert.equal(fine.status, 303);

    ctx.clock.advance(ctx.config.rateLimits.windowSeconds * 1000);
    const later = await signIn(ctx.app, target.email, target.password);
    assert.ok(later.csrf, 'after the window the account signs in again');
    ctx.clock.set(`${TODAY}T12:00:00Z`);
  });

  test('sign-ins from one address are limited across accounts', async () => {
    const config = { ...ctx.config, rateLimits: { ...ctx.config.rateLimits, loginPerIp: 3 } };
    const { createApp } = await import('../server.ts');
    const app = createApp({ db: ctx.db, config, clock: ctx.clock, logger: (await import('../services/core/logger.ts')).createLogger('silent') });
    await ctx.db('rate_limits').delete();
    const agent = request.agent(app);
    const csrf = csrfFrom((await agent.get('/login')).text);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (
          await agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrf, email: `someone${i}@example.com`, password: 'x' })
        ).status,
      );
    }
    assert.deepEqual(statuses, [422, 422, 422, 429]);
  });

  test('magic-link requests are limited per email address, with the same friendly page', async () => {
    const user = await insertUser(ctx.db);
    const agent = request.agent(ctx.app);
    const csrf = csrfFrom((await agent.get('/login/magic-link')).text);
    for (let i = 0; i < ctx.config.rateLimits.emailPerAccount; i++) {
      assert.equal((await agent.post('/login/magic-link').type('form').send({ _csrf: csrf, email: user.email })).status, 200);
    }
    const res = await agent.post('/login/magic-link').type('form').send({ _csrf: csrf, email: user.email });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers['retry-after']) > 0);
    const mails = await ctx.db('outbox').where({ to_address: user.email });
    assert.equal(mails.length, ctx.config.rateLimits.emailPerAccount);
  });
});

describe('secrets stay out of the logs', () => {
  test('following a magic link logs neither the token nor the password-reset token', async () => {
    const { logger, lines } = captureLogger();
    const ctx = await createTestApp({ logger });
    try {
      const user = await insertUser(ctx.db);
      const agent = request.agent(ctx.app);
      await postForm(agent, '/login/magic-link', '/login/magic-link', { email: user.email });
      const link = await linkMailedTo(ctx, user.email);
      const confirm = await agent.get(`${link.pathname}${link.search}`);
      await agent
        .post('/login/magic')
        .type('form')
        .send({ _csrf: csrfFrom(confirm.text), token: link.searchParams.get('token') });
      await postForm(agent, '/password-reset', '/password-reset', { email: user.email });
      const reset = await linkMailedTo(ctx, user.email);
      await agent.get(`${reset.pathname}${reset.search}`);
      const log = lines.join('');
      assert.match(log, /\/login\/magic\?token=%5Bredacted%5D/, 'the request was logged, without its token');
      for (const secret of [link.searchParams.get('token')!, reset.searchParams.get('token')!]) assert.ok(!log.includes(secret));
    } finally {
      await ctx.close();
    }
  });
});

describe('expired rate-limit counters', () => {
  test('the hourly purge removes counters whose window has ended', async () => {
    const ctx = await createTestApp();
    try {
      await ctx.db('rate_limits').insert([
        { key: 'login:ip:old', points: 3, resets_at: '2026-11-25T11:00:00Z' },
        { key: 'login:ip:live', points: 3, resets_at: '2026-11-25T12:10:00Z' },
      ]);
      const { default: purge } = await import('../jobs/purge-sessions.ts');
      await runJob(purge, { db: ctx.db, clock: ctx.clock, logger: createLogger('silent'), config: ctx.config });
      assert.deepEqual(await ctx.db('rate_limits').pluck('key'), ['login:ip:live']);
    } finally {
      await ctx.close();
    }
  });
});

describe('sessions page', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestApp();
  });
  after(() => ctx.close());

  test('lists my sessions and ends another one; ending my own signs me out', async () => {
    const user = await insertUser(ctx.db);
    const desk = await signIn(ctx.app, user.email, user.password);
    const phone = await signIn(ctx.app, user.email, user.password);
    const stranger = await insertUser(ctx.db);
    await signIn(ctx.app, stranger.email, stranger.password);

    const page = await desk.agent.get('/account/sessions');
    assert.equal(page.status, 200);
    const handles = [...page.text.matchAll(/name="session" value="([0-9a-f]+)"/g)].map((m) => m[1]);
    assert.equal(handles.length, 2, "my two sessions, not the stranger's");
    assert.match(page.text, /This browser/);
    const current = /This browser[\s\S]*?name="session" value="([0-9a-f]+)"/.exec(page.text)![1];
    const other = handles.find((h) => h !== current)!;

    const ended = await desk.agent.post('/account/ended-sessions').type('form').send({ _csrf: desk.csrf, session: other });
    assert.equal(ended.status, 303);
    assert.equal((await phone.agent.get('/businesses')).status, 302, 'the phone is signed out');
    assert.equal((await desk.agent.get('/businesses')).status, 200);

    const strangerTry = await phone.agent.post('/account/ended-sessions').type('form').send({ _csrf: phone.csrf, session: current });
    assert.notEqual(strangerTry.status, 303);

    const self = await desk.agent.post('/account/ended-sessions').type('form').send({ _csrf: desk.csrf, session: current });
    assert.equal(self.status, 303);
    assert.equal(self.headers.location, '/login');
    assert.equal((await desk.agent.get('/businesses')).status, 302);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testConfig } from '../services/core/config.ts';
import { createTestApp, insertUser, type TestContext } from './helpers.ts';
import { startFakeGoogle, type GoogleUser } from './fakes/google.ts';

type Agent = ReturnType<typeof request.agent>;

describe('sign in with Google', () => {
  let ctx: TestContext;
  let google: Awaited<ReturnType<typeof startFakeGoogle>>;
  const client = { id: 'bursar-test.apps.googleusercontent.com', secret: 'GOCSPX-test-secret' };

  before(async () => {
    google = await startFakeGoogle(client);
    ctx = await createTestApp({ config: { google: { clientId: client.id, clientSecret: client.secret, ...google.urls } } });
  });
  after(async () => {
    await ctx.close();
    await google.close();
  });

  /** Starts at Bursar, lets the fake Google consent, and returns the callback URL it sends the browser to. */
  async function authorize(agent: Agent, as: GoogleUser): Promise<URL> {
    google.signInAs(as);
    const start = await agent.get('/auth/google');
    assert.equal(start.status, 302);
    const auth = new URL(start.headers.location);
    assert.equal(auth.origin + auth.pathname, google.urls.authUrl);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256', 'PKCE');
    assert.ok(auth.searchParams.get('state'), 'state');
    assert.match(auth.searchParams.get('scope')!, /email/);
    const consent = await fetch(auth, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    return new URL(consent.headers.get('location')!);
  }

  async function finish(agent: Agent, callback: URL) {
    return agent.get(`${callback.pathname}${callback.search}`);
  }

  test('a first Google sign-in creates the account and signs in', async () => {
    const agent = request.agent(ctx.app);
    const cb = await authorize(agent, { sub: '1001', email: 'Gina@Example.com', email_verified: true, name: 'Gina Google' });
    const res = await finish(agent, cb);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/businesses/new');
    const user = await ctx.db('users').where({ google_sub: '1001' }).first();
    assert.equal(user.email, 'gina@example.com');
    assert.equal(user.name, 'Gina Google');
    assert.equal(user.password_hash, null);
    const page = await agent.get('/businesses/new');
    assert.equal(page.status, 200);
    assert.match(page.text, /Gina Google/);
    const verifierSent = google.tokenRequests.at(-1)!;
    assert.ok(verifierSent.code_verifier && verifierSent.code_verifier.length >= 43, 'the token request carried the PKCE verifier');

    const again = request.agent(ctx.app);
    const second = await finish(again, await authorize(again, { sub: '1001', email: 'gina@example.com', email_verified: true, name: 'Gina Google' }));
    assert.equal(second.headers.location, '/', 'a returning user goes home');
    assert.equal((await ctx.db('users').where({ google_sub: '1001' })).length, 1);
  });

  test('a verified address that already has an account is linked to it', async () => {
    const existing = await insertUser(ctx.db, { email: 'lina@example.com', name: 'Lina Password' });
    const agent = request.agent(ctx.app);
    const res = await finish(agent, await authorize(agent, { sub: '2002', email: 'lina@example.com', email_verified: true, name: 'Lina G' }));
    assert.equal(res.status, 303);
    const user = await ctx.db('users').where({ id: existing.id }).first();
    assert.equal(user.google_sub, '2002');
    assert.equal(user.name, 'Lina Password', 'the account keeps its name');
    assert.equal((await ctx.db('users').whereRaw('lower(email) = ?', ['lina@example.com'])).length, 1);
    assert.equal((await agent.get('/businesses')).status, 200);
  });

  test('an unverified Google address is refused and links nothing', async () => {
    const existing = await insertUser(ctx.db, { email: 'victim@example.com' });
    const agent = request.agent(ctx.app);
    const res = await finish(agent, await authorize(agent, { sub: '6666', email: 'victim@example.com', email_verified: false, name: 'Attacker' }));
    assert.equal(res.status, 403);
    assert.match(res.text, /not verified/);
    assert.equal((await ctx.db('users').where({ id: existing.id }).first('google_sub')).google_sub, null);
    assert.equal(await ctx.db('users').where({ google_sub: '6666' }).first(), undefined);
    assert.equal((await agent.get('/businesses')).status, 302, 'not signed in');
  });

  test('a callback whose state does not match this browser is refused', async () => {
    const agent = request.agent(ctx.app);
    const cb = await authorize(agent, { sub: '3003', email: 'sam.state@example.com', email_verified: true, name: 'Sam' });
    cb.searchParams.set('state', 'forged-state');
    const forged = await finish(agent, cb);
    assert.equal(forged.status, 403);
    const otherBrowser = request.agent(ctx.app);
    const cb2 = await authorize(agent, { sub: '3003', email: 'sam.state@example.com', email_verified: true, name: 'Sam' });
    assert.equal((await finish(otherBrowser, cb2)).status, 403, 'a code carried to another browser is refused');
    assert.equal(await ctx.db('users').where({ google_sub: '3003' }).first(), undefined);
  });

  test('without a client id Google sign-in is not offered', async () => {
    const { createApp } = await import('../server.ts');
    const app = createApp({ db: ctx.db, config: testConfig(), clock: ctx.clock, logger: (await import('../services/core/logger.ts')).createLogger('silent') });
    assert.equal((await request(app).get('/auth/google')).status, 404);
    assert.doesNotMatch((await request(app).get('/login')).text, /Continue with Google/);
    assert.match((await request(ctx.app).get('/login')).text, /Continue with Google/);
  });
});

describe("reading Google's userinfo claims", () => {
  test('email_verified counts as true only when Google says so, as a boolean or the string "true"', async () => {
    const { profileFromClaims } = await import('../services/access/google-accounts.ts');
    assert.equal(profileFromClaims({ sub: '1', email: 'A@B.com', email_verified: 'true' }).emailVerified, true);
    assert.equal(profileFromClaims({ sub: '1', email: 'a@b.com', email_verified: 'false' }).emailVerified, false);
    assert.equal(profileFromClaims({ sub: '1', email: 'a@b.com' }).emailVerified, false);
    assert.equal(profileFromClaims({ sub: '1', email: ' A@B.com ' }).email, 'a@b.com');
    assert.equal(profileFromClaims({ sub: '1' }).email, null);
  });
});

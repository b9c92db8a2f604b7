import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import Stripe from 'stripe';
import { startFakeStripe, type FakeAccount, type FakeStripe } from './fakes/stripe.ts';
import { createTestApp, csrfFrom, insertBusiness, insertUser, signIn, signedInMember, type TestContext } from './helpers.ts';
import type { Config } from '../services/core/config.ts';
import * as records from '../services/integrations/records.ts';
import { syncStripe } from '../services/integrations/stripe/sync.ts';

/** The config that points Bursar at the fake. */
function stripeConfig(fake: FakeStripe): Partial<Config> {
  return { stripe: { secretKey: fake.secretKey, connectClientId: fake.clientId, webhookSecret: fake.webhookSecret, apiBase: fake.url, connectBase: fake.url } };
}

const DAY = 86_400;
const T0 = Math.floor(Date.UTC(2026, 10, 25, 12) / 1000);

async function ledgerOf(ctx: TestContext, businessId: string) {
  return ctx
    .db('transactions')
    .where({ business_id: businessId, source: 'stripe' })
    .orderBy('external_id')
    .select('kind', 'amount', 'currency', 'amount_base', 'external_id', 'occurred_on', 'counterparty');
}

/** A local Stripe and the app pointed at it, with a user, made before a describe block's tests and closed after them. */
function withFakeStripe() {
  const f = {} as { fake: FakeStripe; ctx: TestContext; userId: string };
  before(async () => {
    f.fake = await startFakeStripe();
    f.ctx = await createTestApp({ config: stripeConfig(f.fake) });
    f.userId = (await insertUser(f.ctx.db)).id;
  });
  after(async () => {
    await f.ctx.close();
    await f.fake.close();
  });
  return f;
}

/** A connection made without the OAuth round trip, for tests about what comes after it. */
async function connectDirectly(ctx: TestContext, businessId: string, userId: string, account: FakeAccount) {
  return records.connect(ctx.db, ctx.config, ctx.clock.now(), {
    businessId,
    provider: 'stripe',
    accountId: account.account.id,
    accountName: 'Fake',
    secret: { access_token: 'sk_test_conn_x' },
    userId,
  });
}

describe('Stripe Connect: connecting a business', () => {
  const s = withFakeStripe();

  test('an owner connects through Stripe’s page, the token is sealed at rest, and the history lands in the ledger', async () => {
    const user = await insertUser(s.ctx.db);
    const business = await insertBusiness(s.ctx.db, user.id);
    const { agent, csrf } = await signIn(s.ctx.app, user.email, user.password);

    const start = await agent.post(`/b/${business.id}/connections/stripe/authorizations`).type('form').send({ _csrf: csrf });
    assert.equal(start.status, 303);
    const authorize = new URL(start.headers.location);
    assert.equal(authorize.origin, s.fake.url);
    assert.equal(authorize.pathname, '/oauth/authorize');
    assert.equal(authorize.searchParams.get('client_id'), s.fake.clientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${s.ctx.config.appUrl}/integrations/stripe/callback`);
    const state = authorize.searchParams.get('state')!;
    assert.ok(state.length >= 40);

    // Stripe's page: the owner allows, and Stripe sends them back with a code.
    authorize.searchParams.set('decision', 'allow');
    const consent = await fetch(authorize, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const back = new URL(consent.headers.get('location')!);
    const account = s.fake.accounts.get([...s.fake.accounts.keys()].at(-1)!)!;
    for (let i = 0; i < 5; i++) s.fake.charge(account, { amount: 2500 + i, created: T0 - i * DAY, name: `Customer ${i}` });

    const done = await agent.get(`${back.pathname}${back.search}`);
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, `/b/${business.id}/connections`);

    const raw = await s.ctx.db('integrations').where({ business_id: business.id }).first();
    assert.equal(raw.account_id, account.account.id);
    assert.equal(raw.status, 'syncing', 'the backfill is queued, and the page says so');
    assert.equal(s.fake.issued.length, 1);
    assert.ok(!raw.credentials.includes(s.fake.issued[0]), 'the access token is not stored in the clear');
    assert.match(raw.credentials, /^v1\.[0-9a-f]{8}\./);
    assert.equal((await records.credentials<{ access_token: string }>(s.ctx.db, s.ctx.config, business.id, 'stripe'))?.access_token, s.fake.issued[0]);

    await s.ctx.worker.drain();
    const rows = await ledgerOf(s.ctx, business.id);
    assert.equal(rows.filter((r) => r.kind === 'sale').length, 5);
    assert.equal(rows.filter((r) => r.kind === 'fee').length, 5);
    const page = await agent.get(`/b/${business.id}/connections`);
    assert.match(page.text, /Connected/);
    assert.match(page.text, /Fake Coffee Roasters/);

    // The state was spent: the same answer again is refused, and nothing changes.
    const replay = await agent.get(`${back.pathname}${back.search}`);
    assert.equal(replay.status, 400);
  });

  test('a member who is not an owner or admin cannot connect, and a stranger cannot use another’s state', async () => {
    const owner = await insertUser(s.ctx.db);
    const business = await insertBusiness(s.ctx.db, owner.id);
    const viewer = await signedInMember(s.ctx, business.id, 'viewer');
    const refused = await viewer.agent.post(`/b/${business.id}/connections/stripe/authorizations`).type('form').send({ _csrf: viewer.csrf });
    assert.equal(refused.status, 403);

    const { agent, csrf } = await signIn(s.ctx.app, owner.email, owner.password);
    const start = await agent.post(`/b/${business.id}/connections/stripe/authorizations`).type('form').send({ _csrf: csrf });
    const state = new URL(start.headers.location).searchParams.get('state')!;
    const account = s.fake.addAccount();
    const stranger = await insertUser(s.ctx.db);
    const theirs = await signIn(s.ctx.app, stranger.email, stranger.password);
    const stolen = await theirs.agent.get(`/integrations/stripe/callback?code=${s.fake.codeFor(account)}&state=${state}`);
    assert.equal(stolen.status, 400);
    assert.equal(await records.get(s.ctx.db, business.id, 'stripe'), null);
  });

  test('the JSON API gives the connect URL to an owner, and the stranger gets 403', async () => {
    const owner = await insertUser(s.ctx.db);
    const business = await insertBusiness(s.ctx.db, owner.id);
    const token = (await request(s.ctx.app).post('/api/v1/auth/login').send({ email: owner.email, password: owner.password })).body.token;
    const res = await request(s.ctx.app).get(`/api/v1/integrations/stripe/connect?business_id=${business.id}`).set('Authorization', `Bearer ${token}`);
    assert.equal(res.status, 200);
    assert.match(res.body.url, /\/oauth\/authorize\?/);
    const stranger = await insertUser(s.ctx.db);
    const theirs = (await request(s.ctx.app).post('/api/v1/auth/login').send({ email: stranger.email, password: stranger.password })).body.token;
    const refused = await request(s.ctx.app).get(`/api/v1/integrations/stripe/connect?business_id=${business.id}`).set('Authorization', `Bearer ${theirs}`);
    assert.equal(refused.status, 403);
    assert.ok(!JSON.stringify(refused.body).includes('oauth'));
  });
});

/** A bearer token for a user made by insertUser (their password is the helper's default). */
async function token(ctx: TestContext, userId: string): Promise<string> {
  const user = await ctx.db('users').where({ id: userId }).first('email');
  return (await request(ctx.app).post('/api/v1/auth/login').send({ email: user.email, password: 'correct horse battery' })).body.token;
}

describe('Stripe sync: backfill, resume, rate limits, revoked access', () => {
  const s = withFakeStripe();

  /** A business connected to an account with 250 charges (3 pages of balance transactions) and 12 refunds. */
  async function busyAccount() {
    const business = await insertBusiness(s.ctx.db, s.userId);
    const account = s.fake.addAccount({ created: T0 - 400 * DAY });
    for (let i = 0; i < 250; i++) s.fake.charge(account, { amount: 1000 + i, created: T0 - i * 3600, email: `c${i}@example.com` });
    const charges = [...account.charges.keys()];
    for (let i = 0; i < 12; i++) s.fake.refund(account, charges[i * 7], { amount: 500, created: T0 - i * 3600 + 60 });
    await connectDirectly(s.ctx, business.id, s.userId, account);
    return { business, account };
  }

  const btLists = (account: FakeAccount) => s.fake.requests.filter((r) => r.path === '/v1/balance_transactions' && r.account === account.account.id);

  test('a backfill of three pages lands each object once, and a second sync adds nothing', async () => {
    const { business, account } = await busyAccount();
    const first = await syncStripe(s.ctx, business.id);
    assert.equal(first.status, 'synced');
    assert.equal(btLists(account).length, 3, 'three pages of balance transactions');
    const rows = await ledgerOf(s.ctx, business.id);
    assert.equal(rows.filter((r) => r.kind === 'sale').length, 250);
    assert.equal(rows.filter((r) => r.kind === 'refund').length, 12);
    assert.equal(rows.filter((r) => r.kind === 'fee').length, 250);
    const sales = rows.filter((r) => r.kind === 'sale').reduce((s, r) => s + r.amount_base, 0);
    assert.equal(sales, 250 * 1000 + (249 * 250) / 2);
    assert.ok(
      rows.every((r) => r.external_id),
      'every row names its Stripe object',
    );

    const again = await syncStripe(s.ctx, business.id);
    assert.equal(again.rows, 0);
    assert.equal((await ledgerOf(s.ctx, business.id)).length, rows.length);
    const integration = await records.get(s.ctx.db, business.id, 'stripe');
    assert.equal(integration?.status, 'connected');
    assert.equal((integration!.cursors.balance_transactions as { phase: string }).phase, 'incremental');
  });

  test('three pages of subscriptions are each recorded once, and their MRR reaches the metrics', async () => {
    const business = await insertBusiness(s.ctx.db, s.userId);
    const account = s.fake.addAccount({ created: T0 - 400 * DAY });
    for (let i = 0; i < 250; i++) s.fake.subscription(account, { amount: 2000, created: T0 - 200 * DAY + i * 600, interval: i % 10 === 0 ? 'year' : 'month' });
    await connectDirectly(s.ctx, business.id, s.userId, account);
    await syncStripe(s.ctx, business.id);
    const lists = s.fake.requests.filter((r) => r.path === '/v1/subscriptions' && r.account === account.account.id);
    assert.equal(lists.length, 3);
    assert.equal(lists[0].query.get('status'), 'all');
    const observed = await s.ctx.db('subscription_observations').where({ business_id: business.id }).countDistinct({ n: 'subscription_id' }).first();
    assert.equal(Number(observed?.n), 250);
    // Listed again (a second backfill after a reconnect to another account would be new; the same one adds nothing).
    await records.saveCursor(s.ctx.db, s.ctx.clock.now(), (await records.get(s.ctx.db, business.id, 'stripe'))!.id, 'subscriptions', { phase: 'backfill', after: null, top: null, since: null });
    await syncStripe(s.ctx, business.id);
    const again = await s.ctx.db('subscription_observations').where({ business_id: business.id }).count({ n: '*' }).first();
    assert.equal(Number(again?.n), 250, 'the same state recorded twice is kept once');
    // 225 monthly at 20.00 and 25 yearly at 20.00 a year, each 1.67 a month in whole cents: 225 × 2000 + 25 × 167.
    const res = await request(s.ctx.app)
      .get(`/api/v1/metrics/subscriptions?business_id=${business.id}&start_date=2026-11-01&end_date=2026-11-25`)
      .set('Authorization', `Bearer ${await token(s.ctx, s.userId)}`);
    assert.equal(res.status, 200);
    const months = res.body.months ?? res.body.subscriptions ?? res.body;
    assert.equal(months.at(-1).mrr, 225 * 2000 + 25 * Math.round(2000 / 12));
  });

  test('cut off after page two, the next run resumes after it and still lands each object once', async () => {
    const { business, account } = await busyAccount();
    let seen = 0;
    // The third page fails every time (the provider layer's retries included) until the "crash" is over.
    s.fake.failNext(100, (r) => r.path === '/v1/balance_transactions' && r.account === account.account.id && ++seen >= 3);
    await assert.rejects(syncStripe(s.ctx, business.id));
    s.fake.failNext(0);
    const landed = await ledgerOf(s.ctx, business.id);
    assert.equal(landed.filter((r) => r.kind === 'sale' || r.kind === 'refund').length, 200, 'two pages of balance transactions landed before the cut');
    const failed = await records.get(s.ctx.db, business.id, 'stripe');
    assert.equal(failed?.status, 'error');
    assert.match(failed?.last_error ?? '', /resumes where it stopped/);

    const before = btLists(account).length;
    const resumed = await syncStripe(s.ctx, business.id);
    assert.equal(resumed.status, 'synced');
    const second = btLists(account).slice(before);
    assert.ok(second[0].query.get('starting_after'), 'the resumed run starts after the last page landed, not from the top');
    assert.equal(second.filter((r) => !r.query.get('starting_after')).length, 0);
    const rows = await ledgerOf(s.ctx, business.id);
    assert.equal(rows.filter((r) => r.kind === 'sale').length, 250);
    assert.equal(new Set(rows.map((r) => r.external_id)).size, rows.length);
  });

  test('a 429 is waited out for as long as Retry-After says, then the sync goes on', async () => {
    const { business } = await busyAccount();
    const slept = (s.ctx.clock as unknown as { slept: number[] }).slept;
    const waitsBefore = slept.length;
    s.fake.rateLimitNext(1);
    const result = await syncStripe(s.ctx, business.id);
    assert.equal(result.status, 'synced');
    assert.deepEqual(slept.slice(waitsBefore), [1000]);
    assert.equal((await ledgerOf(s.ctx, business.id)).filter((r) => r.kind === 'sale').length, 250);
  });

  test('revoked access marks the connection "needs reconnect", and the Connections page says so', async () => {
    const owner = await insertUser(s.ctx.db);
    const business = await insertBusiness(s.ctx.db, owner.id);
    const account = s.fake.addAccount();
    s.fake.charge(account, { amount: 1200 });
    await connectDirectly(s.ctx, business.id, owner.id, account);
    account.revoked = true;
    const result = await syncStripe(s.ctx, business.id);
    assert.equal(result.status, 'needs reconnect');
    const integration = await records.get(s.ctx.db, business.id, 'stripe');
    assert.equal(integration?.needs_reconnect, true);
    assert.equal(integration?.status, 'needs_reconnect');
    const { agent } = await signIn(s.ctx.app, owner.email, owner.password);
    const page = await agent.get(`/b/${business.id}/connections`);
    assert.match(page.text, /Needs reconnecting/);
    assert.match(page.text, /no longer lets Bursar read this account/);
    assert.match(page.text, /Reconnect Stripe/);
    // A sync asked for now is refused with the reason, not queued to fail again.
    const sync = await agent
      .post(`/b/${business.id}/connections/stripe/syncs`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    assert.equal(sync.status, 303);
    assert.match((await agent.get(`/b/${business.id}/connections`)).text, /connect it again to sync/);
  });
});

describe('Stripe webhooks', () => {
  const s = withFakeStripe();

  function deliver(event: object, opts: { secret?: string; timestamp?: number } = {}) {
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? s.fake.webhookSecret, timestamp: opts.timestamp ?? Math.floor(s.ctx.clock.now().getTime() / 1000) });
    return request(s.ctx.app).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload);
  }

  async function connected() {
    const business = await insertBusiness(s.ctx.db, s.userId);
    const account = s.fake.addAccount();
    await connectDirectly(s.ctx, business.id, s.userId, account);
    return { business, account };
  }

  test('an event delivered twice is stored once and has one effect on the ledger', async () => {
    const { business, account } = await connected();
    const charge = s.fake.charge(account, { amount: 4200, name: 'Ada' });
    const event = s.fake.event(account, 'charge.succeeded', charge);
    const first = await deliver(event);
    assert.equal(first.status, 200);
    assert.equal(first.body.duplicate, false);
    const second = await deliver(event);
    assert.equal(second.status, 200);
    assert.equal(second.body.duplicate, true);
    await s.ctx.worker.drain();
    const rows = await ledgerOf(s.ctx, business.id);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.amount_base, r.counterparty]),
      [
        ['sale', 4200, 'Ada'],
        ['fee', -152, 'Stripe'],
      ],
    );
    assert.equal((await s.ctx.db('webhook_events').where({ id: event.id }).count({ n: '*' }))[0].n, 1);
    // Delivered again after it was applied: still one effect.
    await deliver(event);
    await s.ctx.worker.drain();
    assert.equal((await ledgerOf(s.ctx, business.id)).length, 2);
  });

  test('a bad or stale signature is a 400 and nothing is stored', async () => {
    const { account } = await connected();
    const event = s.fake.event(account, 'charge.succeeded', s.fake.charge(account, { amount: 100 }));
    const forged = await deliver(event, { secret: 'whsec_not_the_secret' });
    assert.equal(forged.status, 400);
    const stale = await deliver(event, { timestamp: Math.floor(s.ctx.clock.now().getTime() / 1000) - 301 });
    assert.equal(stale.status, 400);
    const unsigned = await request(s.ctx.app).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').send(JSON.stringify(event));
    assert.equal(unsigned.status, 400);
    // The signature covers the exact bytes: the same JSON re-spaced does not pass.
    const header = Stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(event), secret: s.fake.webhookSecret, timestamp: Math.floor(s.ctx.clock.now().getTime() / 1000) });
    const respaced = await request(s.ctx.app)
      .post('/api/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', header)
      .send(JSON.stringify(event, null, 2));
    assert.equal(respaced.status, 400);
    assert.equal((await s.ctx.db('webhook_events').where({ id: event.id }).count({ n: '*' }))[0].n, 0);
  });

  test('a charge’s life delivered in every order ends in the same ledger', async () => {
    const permutations = (xs: number[]): number[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    const ledgers = new Set<string>();
    for (const order of permutations([0, 1, 2, 3])) {
      const { business, account } = await connected();
      const charge = s.fake.charge(account, { amount: 10_000, created: T0, name: 'Grace' });
      const succeeded = s.fake.event(account, 'charge.succeeded', charge, T0);
      s.fake.refund(account, charge.id, { amount: 3000, created: T0 + DAY });
      const refunded = s.fake.event(account, 'charge.refunded', charge, T0 + DAY);
      const dispute = s.fake.dispute(account, charge.id, { created: T0 + 2 * DAY });
      const created = s.fake.event(account, 'charge.dispute.created', dispute, T0 + 2 * DAY);
      s.fake.closeDispute(account, dispute.id, 'won', T0 + 9 * DAY);
      const closed = s.fake.event(account, 'charge.dispute.closed', dispute, T0 + 9 * DAY);
      const events = [succeeded, refunded, created, closed];
      for (const i of order) assert.equal((await deliver(events[i])).status, 200);
      await s.ctx.worker.drain();
      const rows = await ledgerOf(s.ctx, business.id);
      ledgers.add(JSON.stringify(rows.map((r) => [r.kind, r.amount_base, r.occurred_on, r.external_id.replace(/^[a-z]+_[A-Za-z0-9]+/, '<id>')])));
      assert.deepEqual(
        rows.map((r) => r.amount_base).sort((a, b) => a - b),
        [-10_000, -3000, -1500, -320, 1500, 10_000, 10_000],
        `order ${order.join('')}`,
      );
    }
    assert.equal(ledgers.size, 1, 'all 24 orders give one ledger');
  });

  test('access revoked in Stripe marks the connection for reconnecting', async () => {
    const { business, account } = await connected();
    await deliver(s.fake.event(account, 'account.application.deauthorized', { id: 'ca_x', object: 'application', name: 'Bursar' }));
    await s.ctx.worker.drain();
    assert.equal((await records.get(s.ctx.db, business.id, 'stripe'))?.needs_reconnect, true);
  });
});

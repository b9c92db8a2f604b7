import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { listRoutes, type RouteInfo } from '../routes/index.ts';
import { apiRoutes, businessApiRoutes } from '../routes/api/v1/index.ts';
import { createLogger } from '../services/core/logger.ts';
import { systemClock } from '../services/core/clock.ts';
import { addMember, createTestApp, insertBusiness, insertUser, TODAY, type TestContext } from './helpers.ts';

/**
 * The API's routes that belong to the account, not to a business, so they stay outside
 * the membership check. Anything else registered on the API must be business-scoped:
 * a route added outside `businessApiRoutes` and not listed here fails the walk.
 */
const ACCOUNT_ROUTES = ['POST /auth/signup', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout', 'GET /auth/me', 'GET /users/me', 'PATCH /users/me', 'POST /users/businesses'];

/** Writes a viewer may still make, and why. */
const VIEWER_MAY_POST: Record<string, string> = {
  'POST /agent/chat': 'asking the agent is reading: it never writes the ledger',
  'POST /forecast': 'a read sent as POST because it computes from options in a body; nothing is stored',
};

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

const key = (r: RouteInfo) => `${r.method} ${r.path}`;

describe('the JSON API, walked route by route', () => {
  let ctx: TestContext;
  let dir: string;
  let target: { id: string; name: string };
  let second: { id: string };
  const tokens = {} as Record<'owner' | 'viewer' | 'stranger', string>;
  const objects = {} as Record<'expense' | 'recommendation' | 'import' | 'receipt' | 'conversation', string>;
  /** Text of the target business no outsider may ever read back. */
  const secrets: string[] = [];

  const api = () => request(ctx.app);
  const as = (who: keyof typeof tokens, method: string, url: string) => api()[method.toLowerCase() as 'get'](`/api/v1${url}`).set('Authorization', `Bearer ${tokens[who]}`);

  async function login(email: string, password: string): Promise<string> {
    const res = await api().post('/api/v1/auth/login').send({ email, password });
    assert.equal(res.status, 200);
    return res.body.token;
  }

  /** The route's path with real objects of the target business in it; an unknown parameter fails the walk. */
  function fill(path: string): string {
    return path.replace(/\/([\w-]+)\/:(\w+)/g, (_m, noun: string, param: string) => {
      const id =
        param === 'receiptId'
          ? objects.receipt
          : { expenses: objects.expense, recommendations: objects.recommendation, imports: objects.import, conversations: objects.conversation, businesses: target.id }[noun];
      if (!id) throw new Error(`the walk has no object for /${noun}/:${param}; create one in before()`);
      return `/${noun}/${id}`;
    });
  }

  function businessRouteList(): RouteInfo[] {
    const deps = { db: ctx.db, config: ctx.config, clock: systemClock, logger: createLogger('silent') };
    const seen = new Set<string>();
    return listRoutes(businessApiRoutes(deps)).filter((r) => !seen.has(key(r)) && seen.add(key(r)));
  }

  function assertLeaksNothing(text: string, label: string): void {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${label} leaked ${secret}`);
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bursar-api-walk-'));
    ctx = await createTestApp({ config: { receipts: { storage: 'disk', dir, maxBytes: 1_000_000, s3: null } } });
    const owner = await insertUser(ctx.db);
    target = await insertBusiness(ctx.db, owner.id, { name: 'Secret Widgets Ltd' });
    second = await insertBusiness(ctx.db, owner.id, { name: 'Second Shop' });
    const viewer = await insertUser(ctx.db);
    await addMember(ctx.db, target.id, viewer.id, 'viewer');
    const stranger = await insertUser(ctx.db);
    await insertBusiness(ctx.db, stranger.id, { name: 'Stranger Co' });
    tokens.owner = await login(owner.email, owner.password);
    tokens.viewer = await login(viewer.email, viewer.password);
    tokens.stranger = await login(stranger.email, stranger.password);

    const expense = await as('owner', 'POST', '/expenses').send({ business_id: target.id, amount: 4200, description: 'Walnut desk for the lab', spent_on: TODAY, vendor: 'Hidden Timber' });
    assert.equal(expense.status, 201);
    objects.expense = expense.body.id;
    const receipt = await as('owner', 'POST', `/expenses/${objects.expense}/receipts`).attach('file', PDF, { filename: 'desk-invoice.pdf', contentType: 'application/pdf' });
    assert.equal(receipt.status, 201);
    objects.receipt = receipt.body.id;
    const batch = await as('owner', 'POST', '/imports').field('business_id', target.id).attach('file', Buffer.from('Date,Description,Amount\n2026-11-01,Imported lathe oil,-12.00\n'), 'bank.csv');
    assert.equal(batch.status, 201);
    objects.import = batch.body.batch_id;
    const chat = await as('owner', 'POST', '/agent/chat').send({ business_id: target.id, message: 'What did we spend on the walnut desk?' });
    assert.equal(chat.status, 200);
    objects.conversation = chat.body.conversation_id;
    const [recommendation] = await ctx
      .db('recommendations')
      .insert({
        business_id: target.id,
        rule: 'test',
        priority: 'high',
        title: 'Renegotiate the lathe lease',
        why: 'It costs too much',
        action: 'Call the lessor',
        created_at: new Date(),
        updated_at: new Date(),
      })
      .returning('id');
    objects.recommendation = recommendation.id;
    secrets.push(target.name, ...Object.values(objects), 'Walnut desk', 'Hidden Timber', 'desk-invoice', 'lathe');
  });
  after(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('every API route is either an account route or behind the membership check', () => {
    const deps = { db: ctx.db, config: ctx.config, clock: systemClock, logger: createLogger('silent') };
    const registered = new Set(listRoutes(apiRoutes(deps)).map(key));
    const scoped = new Set(businessRouteList().map(key));
    const unchecked = [...registered].filter((r) => !scoped.has(r) && !ACCOUNT_ROUTES.includes(r));
    assert.deepEqual(unchecked, [], 'add the route to a business router, or to ACCOUNT_ROUTES if it belongs to no business');
    assert.deepEqual(
      ACCOUNT_ROUTES.filter((r) => !registered.has(r)),
      [],
      'ACCOUNT_ROUTES lists only routes that exist',
    );
    assert.deepEqual(
      ACCOUNT_ROUTES.filter((r) => scoped.has(r)),
      [],
      'an account route is not business-scoped',
    );
    for (const expected of [
      'GET /expenses',
      'PUT /expenses/:id',
      'PATCH /recommendations/:id',
      'DELETE /imports/:id',
      'GET /agent/conversations/:id',
      'PATCH /users/businesses/:id',
      'GET /expenses/:id/receipts/:receiptId',
    ]) {
      assert.ok(scoped.has(expected), `${expected} is walked`);
    }
  });

  test('a stranger naming the business gets 403 or 404 on every business route, and learns nothing of it', async () => {
    const routes = businessRouteList();
    for (const route of routes) {
      const url = `${fill(route.path)}?business_id=${target.id}`;
      const req = as('stranger', route.method, url);
      const res = route.method === 'GET' ? await req : await req.send({ business_id: target.id, status: 'done', message: 'hi', amount: 1, description: 'x', spent_on: TODAY });
      assert.ok([403, 404].includes(res.status), `${route.method} ${url} answered ${res.status}`);
      assertLeaksNothing(res.text, `${route.method} ${route.path}`);
    }
    assert.ok(routes.length >= 20, `walked ${routes.length} routes`);
  });

  test("a stranger addressing the business's objects by id alone gets the same 404 as for an id that does not exist", async () => {
    for (const route of businessRouteList().filter((r) => r.path.includes(':'))) {
      const send = (url: string) => as('stranger', route.method, url).send({ status: 'done', message: 'hi', amount: 1, description: 'x', spent_on: TODAY });
      const theirs = await send(fill(route.path));
      const missing = await send(route.path.replace(/:\w+/g, () => randomUUID()));
      const malformed = await send(route.path.replace(/:\w+/g, 'not-a-uuid'));
      // A business id in the path is named, so it is the pages' 403; an object's id is a 404.
      const expected = route.path.startsWith('/users/businesses/') ? 403 : 404;
      for (const res of [theirs, missing, malformed]) assert.equal(res.status, expected, `${route.method} ${route.path}`);
      assert.deepEqual(theirs.body, missing.body, `${route.method} ${route.path}: a real id looks like a missing one`);
      assert.deepEqual(theirs.body, malformed.body, `${route.method} ${route.path}: a real id looks like a malformed one`);
      assertLeaksNothing(theirs.text, `${route.method} ${route.path}`);
    }
  });

  test('a stranger cannot import into the business by naming it in the multipart form', async () => {
    const before = await ctx.db('import_batches').where({ business_id: target.id }).count({ n: '*' }).first();
    const res = await as('stranger', 'POST', '/imports').field('business_id', target.id).attach('file', Buffer.from('Date,Description,Amount\n2026-11-02,Sneaky,-1.00\n'), 'sneaky.csv');
    assert.equal(res.status, 403);
    assert.deepEqual(await ctx.db('import_batches').where({ business_id: target.id }).count({ n: '*' }).first(), before);
  });

  test('a viewer gets 403 on every write of the business, except the reads sent as POST', async () => {
    const writes = businessRouteList().filter((r) => r.method !== 'GET');
    for (const route of writes) {
      const url = `${fill(route.path)}?business_id=${target.id}`;
      const res = await as('viewer', route.method, url).send({
        business_id: target.id,
        status: 'done',
        message: 'What is my runway?',
        horizon_days: 30,
        paths: 1000,
        amount: 1,
        description: 'x',
        spent_on: TODAY,
        name: 'Renamed',
      });
      if (key(route) in VIEWER_MAY_POST) assert.equal(res.status, 200, `${key(route)}: ${VIEWER_MAY_POST[key(route)]}`);
      else assert.equal(res.status, 403, `${route.method} ${url} answered ${res.status}`);
    }
    assert.ok(writes.length >= 9, `walked ${writes.length} writes`);
    assert.deepEqual(
      Object.keys(VIEWER_MAY_POST).filter((k) => !writes.some((r) => key(r) === k)),
      [],
      'the exceptions are routes that exist',
    );
    assert.equal((await ctx.db('businesses').where({ id: target.id }).first('name')).name, target.name);
  });

  test('an owner of two businesses changes an expense and a recommendation by id alone', async () => {
    const put = await as('owner', 'PUT', `/expenses/${objects.expense}`).send({ amount: 5100, description: 'Walnut desk, with drawers', spent_on: TODAY });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.amount, 5100);
    assert.equal((await ctx.db('transactions').where({ id: objects.expense }).first('description')).description, 'Walnut desk, with drawers');
    const patch = await as('owner', 'PATCH', `/recommendations/${objects.recommendation}`).send({ status: 'accepted' });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.equal((await ctx.db('recommendations').where({ id: objects.recommendation }).first('status')).status, 'accepted');
  });

  test('an owner of two businesses is asked which one when nothing names it, and an id of one with the other named is not found', async () => {
    const list = await as('owner', 'GET', '/expenses');
    assert.equal(list.status, 400);
    assert.match(list.body.error.message, /business_id/);
    const mismatch = await as('owner', 'PUT', `/expenses/${objects.expense}?business_id=${second.id}`).send({ amount: 1, description: 'Moved', spent_on: TODAY });
    assert.equal(mismatch.status, 404);
    assert.notEqual((await ctx.db('transactions').where({ id: objects.expense }).first('description')).description, 'Moved');
  });

  test('a stranger cannot change the expense or the recommendation, named or not', async () => {
    for (const query of ['', `?business_id=${target.id}`]) {
      const put = await as('stranger', 'PUT', `/expenses/${objects.expense}${query}`).send({ amount: 1, description: 'hijack', spent_on: TODAY });
      assert.ok([403, 404].includes(put.status), `PUT ${query} answered ${put.status}`);
      const patch = await as('stranger', 'PATCH', `/recommendations/${objects.recommendation}${query}`).send({ status: 'dismissed' });
      assert.ok([403, 404].includes(patch.status), `PATCH ${query} answered ${patch.status}`);
    }
    assert.notEqual((await ctx.db('transactions').where({ id: objects.expense }).first('description')).description, 'hijack');
    assert.notEqual((await ctx.db('recommendations').where({ id: objects.recommendation }).first('status')).status, 'dismissed');
  });

  test('an owner of two businesses reaches every route addressed by an object id without naming the business', async () => {
    const addressed = businessRouteList().filter((r) => r.path.includes(':'));
    // Writes get an invalid body, so they stop at validation after the business was found;
    // deletions run last, an expense's receipts before the expense.
    const deletions = addressed.filter((r) => r.method === 'DELETE').sort((a, b) => b.path.length - a.path.length);
    for (const route of [...addressed.filter((r) => r.method !== 'DELETE'), ...deletions]) {
      const res = await as('owner', route.method, fill(route.path)).send({ amount: 'lots', status: 'maybe' });
      assert.ok([200, 204, 422].includes(res.status), `${route.method} ${route.path} answered ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.ok(deletions.length >= 3);
    assert.equal(await ctx.db('transactions').where({ id: objects.expense }).first(), undefined);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';

describe('businesses', () => {
  let ctx: TestContext;
  let session: Awaited<ReturnType<typeof signIn>>;
  let userId: string;
  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    userId = user.id;
    session = await signIn(ctx.app, user.email, user.password);
  });
  after(() => ctx.close());

  test('creating a business makes the user its owner and seeds categories with icons', async () => {
    const res = await session.agent.post('/businesses').type('form').send({
      _csrf: session.csrf,
      name: 'Maple Bakery',
      legal_entity: 'Maple Bakery Inc.',
      industry: 'Retail',
      currency: 'cad',
      revenue_estimate: '250,000.50',
      founded_on: '2020-02-01',
    });
    assert.equal(res.status, 303);
    const business = await ctx.db('businesses').where({ name: 'Maple Bakery' }).first();
    assert.equal(res.headers.location, `/b/${business.id}`);
    assert.equal(business.currency, 'CAD');
    assert.equal(business.revenue_estimate, 25_000_050);
    assert.equal(business.founded_on, '2020-02-01');
    const membership = await ctx.db('memberships').where({ business_id: business.id, user_id: userId }).first();
    assert.equal(membership.role, 'owner');
    const cats = await ctx.db('categories').where({ business_id: business.id });
    assert.ok(cats.length >= 10);
    assert.ok(cats.every((c) => c.icon));
    const page = await session.agent.get(`/b/${business.id}`);
    assert.match(page.text, /Maple Bakery/);
    assert.match(page.text, /No money movements yet/);
  });

  test('a business with no name or an unknown currency is refused with messages and nothing is written', async () => {
    const count = async () => Number((await ctx.db('businesses').count({ n: '*' }).first())!.n);
    const before = await count();
    const res = await session.agent.post('/businesses').type('form').send({ _csrf: session.csrf, name: '  ', currency: 'XYZ', revenue_estimate: 'lots' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter a name/);
    assert.match(res.text, /known ISO 4217 currency/);
    assert.equal(await count(), before);
    const json = await session.agent.post('/businesses').set('Accept', 'application/json').type('form').send({ _csrf: session.csrf, name: 'Ok', currency: 'USD', founded_on: '15/03/2021' });
    assert.equal(json.status, 422);
    assert.match(json.text, /Use a date like 2021-03-15/);
    assert.equal(await count(), before);
  });

  test('the switcher lists my businesses and takes me to the one I pick', async () => {
    const a = await insertBusiness(ctx.db, userId, { name: 'Alpha Goods' });
    const b = await insertBusiness(ctx.db, userId, { name: 'Beta Services', currency: 'EUR' });
    const page = await session.agent.get(`/b/${a.id}`);
    assert.match(page.text, new RegExp(`<option value="${a.id}" selected>Alpha Goods</option>`));
    assert.match(page.text, new RegExp(`<option value="${b.id}" >Beta Services</option>`));
    const sw = await session.agent.get(`/switch?business=${b.id}`);
    assert.equal(sw.status, 302);
    assert.equal(sw.headers.location, `/b/${b.id}`);
  });

  test('the dashboard shows the last 30 days from the ledger, in the base currency, on four or more KPI cards', async () => {
    const biz = await insertBusiness(ctx.db, userId, { name: 'Figures Ltd' });
    await insertLedgerRows(ctx.db, biz.id, [
      { kind: 'sale', amount: 150_000, amount_base: 150_000, occurred_on: '2026-11-20' },
      { kind: 'expense', amount: -20_000, currency: 'EUR', amount_base: -21_600, occurred_on: '2026-11-21', description: 'Design work' },
      { kind: 'sale', amount: 99_999, amount_base: 99_999, occurred_on: '2026-09-01' },
    ]);
    const page = await session.agent.get(`/b/${biz.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /\$1,500\.00/);
    assert.match(page.text, /\$216\.00/);
    assert.match(page.text, /\$1,284\.00/);
    // Cash counts every day up to today, the September sale included.
    assert.match(page.text, /\$2,283\.99/);
    assert.ok((page.text.match(/class="kpi"/g) ?? []).length >= 4);
  });

  test('owners edit the business details; the form keeps what was typed on error', async () => {
    const biz = await insertBusiness(ctx.db, userId, { name: 'Old Name' });
    const bad = await session.agent.post(`/b/${biz.id}/settings`).type('form').send({ _csrf: session.csrf, name: 'New Name', currency: 'ZZZ' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /value="New Name"/);
    const ok = await session.agent.post(`/b/${biz.id}/settings`).type('form').send({ _csrf: session.csrf, name: 'New Name', currency: 'USD' });
    assert.equal(ok.status, 303);
    const row = await ctx.db('businesses').where({ id: biz.id }).first();
    assert.equal(row.name, 'New Name');
  });
});

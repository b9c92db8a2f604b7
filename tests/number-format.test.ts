import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertBusiness, insertUser, signIn, TODAY, type TestContext, signedInMember } from './helpers.ts';

describe("a business's number format", () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let euro: string;
  let dollar: string;

  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    owner = await signIn(ctx.app, user.email, user.password);
    const made = await owner.agent.post('/businesses').type('form').send({ _csrf: owner.csrf, name: 'Bäckerei Kraus', currency: 'EUR', decimal_mark: '' });
    assert.equal(made.status, 303);
    euro = made.headers.location.split('/').pop()!;
    dollar = (await insertBusiness(ctx.db, user.id, { name: 'Dollar Shop', currency: 'USD' })).id;
    owner = await signIn(ctx.app, user.email, user.password);
  });
  after(() => ctx.close());

  const add = (businessId: string, amount: string) =>
    owner.agent
      .post(`/b/${businessId}/expenses`)
      .type('form')
      .send({ _csrf: owner.csrf, occurred_on: TODAY, description: `Paid ${amount}`, amount, currency: '', category_id: '' });
  const spent = async (businessId: string, amount: string) =>
    -(
      await ctx
        .db('transactions')
        .where({ business_id: businessId, description: `Paid ${amount}` })
        .first('amount')
    ).amount;

  test('a new EUR business writes 1.234,56 unless told otherwise; a USD one 1,234.56', async () => {
    assert.equal((await ctx.db('businesses').where({ id: euro }).first('decimal_mark')).decimal_mark, ',');
    assert.equal((await ctx.db('businesses').where({ id: dollar }).first('decimal_mark')).decimal_mark, '.');
  });

  test('the expense form of a EUR business takes 1.234,56 and 12,50, and shows amounts back that way', async () => {
    assert.equal((await add(euro, '1.234,56')).status, 303);
    assert.equal(await spent(euro, '1.234,56'), 123456);
    assert.equal((await add(euro, '12,50')).status, 303);
    assert.equal(await spent(euro, '12,50'), 1250);
    assert.equal((await add(euro, '€ 3,20')).status, 303);
    assert.equal(await spent(euro, '€ 3,20'), 320);
    const id = (await ctx.db('transactions').where({ business_id: euro, description: 'Paid 1.234,56' }).first('id')).id;
    const edit = await owner.agent.get(`/b/${euro}/expenses/${id}/edit`).set('HX-Request', 'true');
    assert.match(edit.text, /name="amount" value="1234,56"/);
    // A point that cannot group thousands is how number fields and spreadsheets write decimals.
    assert.equal((await add(euro, '7.25')).status, 303);
    assert.equal(await spent(euro, '7.25'), 725);
    assert.equal((await add(euro, '1.250')).status, 303);
    assert.equal(await spent(euro, '1.250'), 125000, 'a point before three digits groups thousands');
    const typo = await add(euro, '12,5,0').set('HX-Request', 'true');
    assert.equal(typo.status, 422);
    assert.match(typo.text, /Enter an amount such as 12,50/);
  });

  test('a USD business reads 1,234.56, takes an amount whose two marks say which is which, and refuses 12,50 as a typo', async () => {
    assert.equal((await add(dollar, '1,234.56')).status, 303);
    assert.equal(await spent(dollar, '1,234.56'), 123456);
    assert.equal((await add(dollar, '1.234,56')).status, 303);
    assert.equal(await spent(dollar, '1.234,56'), 123456);
    const typo = await add(dollar, '12,50').set('HX-Request', 'true');
    assert.equal(typo.status, 422);
    assert.match(typo.text, /Enter an amount such as 12\.50/);
  });

  test('the API takes integer minor units, or an amount as the business writes it', async () => {
    const post = (body: Record<string, unknown>) =>
      owner.agent
        .post('/api/v1/expenses')
        .set('X-CSRF-Token', owner.csrf)
        .send({ business_id: euro, spent_on: TODAY, ...body });
    const typed = await post({ amount: '2.500,75', description: 'Laptop' });
    assert.equal(typed.status, 201, JSON.stringify(typed.body));
    assert.equal(typed.body.amount, 250075);
    const minor = await post({ amount: 990, description: 'Pens' });
    assert.equal(minor.body.amount, 990);
    const bad = await post({ amount: '12,5,0', description: 'Typo' });
    assert.equal(bad.status, 422);
    assert.match(JSON.stringify(bad.body), /12,50/);
  });

  test('the list filter reads its amounts in the business format', async () => {
    const res = await owner.agent.get(`/b/${euro}/expenses`).query({ min: '1.000,00' });
    assert.equal(res.status, 200);
    assert.match(res.text, /Paid 1\.234,56/);
    assert.doesNotMatch(res.text, /Paid 12,50/);
  });

  test('the settings change the format; a viewer cannot', async () => {
    const viewer = await signedInMember(ctx, euro, 'viewer');
    const refused = await viewer.agent.post(`/b/${euro}/settings`).type('form').send({ _csrf: viewer.csrf, name: 'Bäckerei Kraus', currency: 'EUR', decimal_mark: '.' });
    assert.equal(refused.status, 403);
    const page = await owner.agent.get(`/b/${euro}/settings`);
    assert.match(page.text, /<option value="," selected>1\.234,56<\/option>/);
    const saved = await owner.agent.post(`/b/${euro}/settings`).type('form').send({ _csrf: owner.csrf, name: 'Bäckerei Kraus', currency: 'EUR', decimal_mark: '.' });
    assert.equal(saved.status, 303);
    assert.equal((await ctx.db('businesses').where({ id: euro }).first('decimal_mark')).decimal_mark, '.');
    const someone = await insertUser(ctx.db);
    const stranger = await signIn(ctx.app, someone.email, someone.password);
    assert.equal((await stranger.agent.get(`/b/${euro}/settings`)).status, 403);
  });
});

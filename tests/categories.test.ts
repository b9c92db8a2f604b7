import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertLedgerRows, type signIn, signedInOwner, type TestContext, signedInMember } from './helpers.ts';

describe('categories', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    ({ businessId, owner } = await signedInOwner(ctx));
  });
  after(() => ctx.close());

  const ids = async () => Object.fromEntries((await ctx.db('categories').where({ business_id: businessId }).select('name', 'id')).map((c) => [c.name, c.id]));

  test('the defaults are listed with their icons, and a new one can be added', async () => {
    const page = await owner.agent.get(`/b/${businessId}/categories`);
    assert.equal(page.status, 200);
    // Rent's icon is the building drawn from the icon set, not a letter.
    assert.match(page.text, /<svg class="icon-svg icon-building-2"[^>]*>(?:(?!<\/svg>)[\s\S])*<\/svg><\/span>Rent/);
    const res = await owner.agent.post(`/b/${businessId}/categories`).type('form').send({ _csrf: owner.csrf, name: 'Subscriptions', icon: 'laptop', kind: 'expense' });
    assert.equal(res.status, 303);
    const dup = await owner.agent.post(`/b/${businessId}/categories`).type('form').send({ _csrf: owner.csrf, name: 'Subscriptions', icon: 'laptop' });
    assert.equal(dup.status, 422);
    assert.match(dup.text, /already a category with this name/);
  });

  test('renaming and re-iconing a category', async () => {
    const { Subscriptions } = await ids();
    const res = await owner.agent.post(`/b/${businessId}/categories/${Subscriptions}`).type('form').send({ _csrf: owner.csrf, name: 'SaaS', icon: 'bolt', kind: 'expense' });
    assert.equal(res.status, 303);
    assert.deepEqual(await ctx.db('categories').where({ id: Subscriptions }).first('name', 'icon'), { name: 'SaaS', icon: 'bolt' });
  });

  test('merging two categories moves their rows and audits each move', async () => {
    const { SaaS, Software } = await ids();
    await insertLedgerRows(ctx.db, businessId, [{ category_id: SaaS }, { category_id: SaaS }, { category_id: Software }]);
    const res = await owner.agent.post(`/b/${businessId}/category-merges`).type('form').send({ _csrf: owner.csrf, from: SaaS, into: Software });
    assert.equal(res.status, 303);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ category_id: Software })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      3,
    );
    assert.equal(await ctx.db('categories').where({ id: SaaS }).first(), undefined);
    assert.equal(
      await ctx
        .db('ledger_audit')
        .where({ business_id: businessId, action: 'update' })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      2,
    );
  });

  test('a viewer cannot add, edit or merge categories', async () => {
    const viewer = await signedInMember(ctx, businessId, 'viewer');
    const { Rent, Travel } = await ids();
    assert.equal((await viewer.agent.post(`/b/${businessId}/categories`).type('form').send({ _csrf: viewer.csrf, name: 'X' })).status, 403);
    assert.equal((await viewer.agent.post(`/b/${businessId}/categories/${Rent}`).type('form').send({ _csrf: viewer.csrf, name: 'X' })).status, 403);
    assert.equal((await viewer.agent.post(`/b/${businessId}/category-merges`).type('form').send({ _csrf: viewer.csrf, from: Rent, into: Travel })).status, 403);
  });
});

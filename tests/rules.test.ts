import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rules from '../services/ledger/rules.ts';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';

describe('categorisation rules', () => {
  let ctx: TestContext;
  let businessId: string;
  let userId: string;
  let cat: Record<string, string>;
  let owner: Awaited<ReturnType<typeof signIn>>;

  before(async () => {
    ctx = await createTestApp();
    const user = await insertUser(ctx.db);
    userId = user.id;
    businessId = (await insertBusiness(ctx.db, user.id)).id;
    owner = await signIn(ctx.app, user.email, user.password);
    cat = Object.fromEntries((await ctx.db('categories').where({ business_id: businessId }).select('name', 'id')).map((c) => [c.name, c.id]));
    await insertLedgerRows(ctx.db, businessId, [
      { description: 'UBER *TRIP 8812', amount: -2300, occurred_on: '2026-11-01' },
      { description: 'Uber Eats order', amount: -1800, occurred_on: '2026-11-02' },
      { description: 'AWS EMEA', amount: -9999, occurred_on: '2026-11-03' },
      { description: 'Big AWS bill', amount: -250000, occurred_on: '2026-11-04' },
    ]);
  });
  after(() => ctx.close());

  const actor = () => ({ userId, now: ctx.clock.now() });

  test('a preview lists exactly the rows a rule would change, and changes nothing', async () => {
    const rule = { field: 'description' as const, match: 'contains' as const, pattern: 'uber', min_amount: null, max_amount: null, category_id: cat.Travel, set_counterparty: 'Uber' };
    const preview = await rules.preview(ctx.db, businessId, rule, {});
    assert.equal(preview.count, 2);
    assert.deepEqual(preview.rows.map((r) => r.description).sort(), ['UBER *TRIP 8812', 'Uber Eats order']);
    assert.equal(
      await ctx
        .db('transactions')
        .where({ business_id: businessId, category_id: cat.Travel })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
    );
  });

  test('rules apply in order, first match wins, with amount ranges, and every change is audited', async () => {
    await rules.create(ctx.db, businessId, rules.ruleInput.parse({ pattern: 'uber eats', category_id: cat.Meals }));
    await rules.create(ctx.db, businessId, rules.ruleInput.parse({ pattern: 'uber', category_id: cat.Travel, set_counterparty: 'Uber' }));
    await rules.create(ctx.db, businessId, rules.ruleInput.parse({ match: 'regex', pattern: '^(big )?aws', max_amount: 100000, category_id: cat.Software }));
    const changed = await rules.applyToLedger(ctx.db, businessId, actor(), {});
    assert.equal(changed, 3);
    const rows = await ctx
      .db('transactions as t')
      .leftJoin('categories as c', 'c.id', 't.category_id')
      .where('t.business_id', businessId)
      .orderBy('t.occurred_on')
      .select('t.description', 'c.name', 't.counterparty');
    assert.deepEqual(
      rows.map((r) => [r.description, r.name, r.counterparty]),
      [
        ['UBER *TRIP 8812', 'Travel', 'Uber'],
        ['Uber Eats order', 'Meals', null],
        ['AWS EMEA', 'Software', null],
        ['Big AWS bill', null, null],
      ],
    );
    const audits = await ctx.db('ledger_audit').where({ business_id: businessId, action: 'update' });
    assert.equal(audits.length, 3);
    assert.equal(await rules.applyToLedger(ctx.db, businessId, actor(), {}), 0, 'applying again changes nothing');
  });

  test('rules are applied to an import on the way in', async () => {
    const res = await owner.agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', owner.csrf)
      .field('business_id', businessId)
      .attach('file', Buffer.from('Date,Description,Amount\n2026-11-20,UBER TRIP HELP.UBER.COM,-12.00\n'), 'uber.csv');
    assert.equal(res.status, 201);
    const row = await ctx.db('transactions').where({ import_batch_id: res.body.batch_id }).first();
    assert.equal(row.category_id, cat.Travel);
    assert.equal(row.counterparty, 'Uber');
  });

  test('the rules page previews a rule with GET, saves it, and applies the rules to a filter', async () => {
    const base = `/b/${businessId}`;
    await insertLedgerRows(ctx.db, businessId, [
      { description: 'Shell fuel 1', amount: -5000 },
      { description: 'Shell fuel 2', amount: -6000 },
    ]);
    const preview = await owner.agent.get(`${base}/rule-previews`).query({ field: 'description', match: 'contains', pattern: 'shell', category_id: cat.Travel }).set('HX-Request', 'true');
    assert.equal(preview.status, 200);
    assert.match(preview.text, /would change 2 rows/);
    const bad = await owner.agent.post(`${base}/rules`).type('form').send({ _csrf: owner.csrf, pattern: '', min_amount: 'lots' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Say what to look for/);
    const saved = await owner.agent.post(`${base}/rules`).type('form').send({ _csrf: owner.csrf, field: 'description', match: 'contains', pattern: 'shell', category_id: cat.Travel });
    assert.equal(saved.status, 303);
    const applied = await owner.agent.post(`${base}/rule-applications`).type('form').send({ _csrf: owner.csrf, q: 'fuel 1' });
    assert.equal(applied.status, 303);
    const rows = await ctx.db('transactions').where({ business_id: businessId }).whereLike('description', 'Shell fuel%').orderBy('description').select('category_id');
    assert.deepEqual(
      rows.map((r) => r.category_id),
      [cat.Travel, null],
      'only the filtered row changed',
    );
  });
});

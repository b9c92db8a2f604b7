import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addMember, createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, signedInOwner, type TestContext } from './helpers.ts';
import { answerOffline } from '../services/agent/offline.ts';
import { toolContext } from '../services/agent/tools.ts';

type Agent = Awaited<ReturnType<typeof signIn>>;

/** The hidden fields of the first suggestion form in a page, as a confirm post would send them. */
function formFields(html: string, buttonText: RegExp): Record<string, string> {
  const forms = html.match(/<form method="post" action="\/b\/[^"]+\/suggested-changes"[\s\S]*?<\/form>/g) ?? [];
  const form = forms.find((f) => buttonText.test(f));
  assert.ok(form, `no suggestion form with a button ${buttonText}`);
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&#39;/g, "'").replace(/&amp;/g, '&')]));
}

describe('suggested changes: the agent proposes, the user confirms', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Agent;
  let viewer: Agent;
  let software: string;
  let awsIds: string[];

  const uncategorisedAws = () =>
    ctx
      .db('transactions')
      .where({ business_id: businessId, counterparty: 'AWS' })
      .whereNull('category_id')
      .count({ n: '*' })
      .first()
      .then((r) => Number(r!.n));
  const ruleCount = () =>
    ctx
      .db('categorization_rules')
      .where({ business_id: businessId })
      .count({ n: '*' })
      .first()
      .then((r) => Number(r!.n));

  before(async () => {
    ctx = await createTestApp();
    const o = await insertUser(ctx.db);
    const v = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, o.id, { name: 'Cloudy Candles' })).id;
    await addMember(ctx.db, businessId, v.id, 'viewer');
    software = (await ctx.db('categories').where({ business_id: businessId, name: 'Software' }).first('id')).id;
    // Three months of AWS filed under Software, then a card import that left two months uncategorised.
    await insertLedgerRows(ctx.db, businessId, [
      ...['2026-07-03', '2026-08-03', '2026-09-03'].map((d) => ({
        occurred_on: d,
        description: 'AWS EMEA invoice',
        counterparty: 'AWS',
        amount: -12_000,
        amount_base: -12_000,
        category_id: software,
      })),
      { occurred_on: '2026-10-03', description: 'AWS EMEA invoice', counterparty: 'AWS', amount: -13_000, amount_base: -13_000 },
      { occurred_on: '2026-11-03', description: 'AWS EMEA invoice', counterparty: 'AWS', amount: -14_000, amount_base: -14_000 },
      { occurred_on: '2026-11-05', description: 'Coffee beans', counterparty: 'Corner Roasters', amount: -2_500, amount_base: -2_500 },
    ]);
    awsIds = await ctx.db('transactions').where({ business_id: businessId, counterparty: 'AWS' }).whereNull('category_id').orderBy('occurred_on', 'desc').pluck('id');
    owner = await signIn(ctx.app, o.email, o.password);
    viewer = await signIn(ctx.app, v.email, v.password);
  });
  after(() => ctx.close());

  test('asked about uncategorised expenses, the offline analyst proposes a rule and a recategorisation from the vendor’s history', async () => {
    const reply = await answerOffline(ctx.db, businessId, 'Which expenses are uncategorised?', toolContext(ctx.clock));
    assert.equal(reply.intent, 'categorise');
    assert.deepEqual(
      reply.toolCalls.map((c) => c.name),
      ['categorisation_suggestions'],
    );
    assert.match(reply.text, /\*\*3\*\* uncategorised expenses/);
    assert.match(reply.text, /3 of 3 categorised expenses from AWS are filed under Software/);
    assert.match(reply.text, /Corner Roasters.*no proposal/);
    assert.deepEqual(reply.suggestions, [
      { kind: 'rule', label: "Create rule: vendor contains 'AWS' → Software", field: 'counterparty', pattern: 'AWS', category_id: software, category: 'Software' },
      { kind: 'recategorise', label: 'Move 2 uncategorised AWS expenses to Software', transaction_ids: awsIds, category_id: software, category: 'Software' },
    ]);
    assert.equal(await ruleCount(), 0, 'the agent wrote nothing');
    assert.equal(await uncategorisedAws(), 2);
  });

  test('the chat shows the suggestion as a confirm button to a writer and as plain text to a viewer', async () => {
    const asked = await owner.agent.post(`/b/${businessId}/chat/messages`).type('form').send({ _csrf: owner.csrf, message: 'Help me categorise my expenses' });
    assert.equal(asked.status, 303);
    const thread = await owner.agent.get(asked.headers.location.replace(/#.*$/, ''));
    assert.match(thread.text, /<button type="submit" class="small">Create rule: vendor contains &#39;AWS&#39; → Software…<\/button>/);
    assert.equal(formFields(thread.text, /Create rule/)._csrf, owner.csrf, 'the form carries the CSRF token');

    const theirs = await viewer.agent.post(`/b/${businessId}/chat/messages`).type('form').send({ _csrf: viewer.csrf, message: 'Help me categorise my expenses' });
    const page = await viewer.agent.get(theirs.headers.location.replace(/#.*$/, ''));
    assert.doesNotMatch(page.text, /action="\/b\/[^"]+\/suggested-changes"/);
    assert.match(page.text, /Create rule: vendor contains &#39;AWS&#39; → Software \(an owner, admin or member can make this change\)/);
  });

  test('posting the button shows the rules preview of the rows it would change, and writes nothing', async () => {
    const res = await owner.agent.post(`/b/${businessId}/suggested-changes`).type('form').send({ _csrf: owner.csrf, kind: 'rule', field: 'counterparty', pattern: 'AWS', category_id: software });
    assert.equal(res.status, 200);
    assert.match(res.text, /Create a rule: vendor contains &#39;AWS&#39; → Software/);
    assert.match(res.text, /Confirming would change 2 rows/);
    assert.equal((res.text.match(/AWS EMEA invoice/g) ?? []).length, 2, 'the two uncategorised rows, not the three already filed');
    assert.match(res.text, /<input type="hidden" name="confirm" value="yes">/);
    assert.equal(await ruleCount(), 0);
    assert.equal(await uncategorisedAws(), 2);
  });

  test('a viewer is refused both steps, and nothing is written', async () => {
    for (const confirm of [undefined, 'yes']) {
      const res = await viewer.agent
        .post(`/b/${businessId}/suggested-changes`)
        .type('form')
        .send({ _csrf: viewer.csrf, kind: 'rule', field: 'counterparty', pattern: 'AWS', category_id: software, confirm });
      assert.equal(res.status, 403);
    }
    const res = await viewer.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: viewer.csrf, kind: 'recategorise', transaction_ids: awsIds.join(','), category_id: software, confirm: 'yes' });
    assert.equal(res.status, 403);
    assert.equal(await ruleCount(), 0);
    assert.equal(await uncategorisedAws(), 2);
  });

  test('someone from another business is refused, and so is a form tampered with another business’s ids', async () => {
    const stranger = await signedInOwner(ctx, { name: 'Elsewhere Ltd' });
    const theirCategory = (await ctx.db('categories').where({ business_id: stranger.businessId, name: 'Software' }).first('id')).id;
    const [theirExpense] = await insertLedgerRows(ctx.db, stranger.businessId, [{ description: 'Their AWS', counterparty: 'AWS' }]).then(() =>
      ctx.db('transactions').where({ business_id: stranger.businessId }).pluck('id'),
    );

    const intruder = await stranger.owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: stranger.owner.csrf, kind: 'rule', field: 'counterparty', pattern: 'AWS', category_id: software, confirm: 'yes' });
    assert.equal(intruder.status, 403);

    const otherCategory = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'rule', field: 'counterparty', pattern: 'AWS', category_id: theirCategory, confirm: 'yes' });
    assert.equal(otherCategory.status, 422);
    assert.match(otherCategory.text, /Pick a category from the list\./);
    const otherCategoryMove = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'recategorise', transaction_ids: awsIds.join(','), category_id: theirCategory, confirm: 'yes' });
    assert.equal(otherCategoryMove.status, 422);
    const otherExpense = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'recategorise', transaction_ids: [...awsIds, theirExpense].join(','), category_id: software, confirm: 'yes' });
    assert.equal(otherExpense.status, 422);
    assert.match(otherExpense.text, /Some of these expenses are not in this business\./);
    const garbled = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'recategorise', transaction_ids: 'not-an-id', category_id: software, confirm: 'yes' });
    assert.equal(garbled.status, 422);
    const unknownKind = await owner.agent.post(`/b/${businessId}/suggested-changes`).type('form').send({ _csrf: owner.csrf, kind: 'delete_everything', confirm: 'yes' });
    assert.equal(unknownKind.status, 422);

    assert.equal(await ruleCount(), 0);
    assert.equal(await uncategorisedAws(), 2);
    const theirs = await ctx.db('transactions').where({ id: theirExpense }).first('category_id');
    assert.equal(theirs.category_id, null, 'the other business’s expense is untouched');
  });

  test('an owner confirming the rule creates it and files the rows the preview showed, audited', async () => {
    const res = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'rule', field: 'counterparty', pattern: 'AWS', category_id: software, confirm: 'yes' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/b/${businessId}/rules`);
    const rules = await ctx.db('categorization_rules').where({ business_id: businessId }).select('field', 'match', 'pattern', 'category_id');
    assert.deepEqual(rules, [{ field: 'counterparty', match: 'contains', pattern: 'AWS', category_id: software }]);
    assert.equal(await uncategorisedAws(), 0);
    const audited = await ctx.db('ledger_audit').where({ business_id: businessId, action: 'update' }).whereIn('transaction_id', awsIds).count({ n: '*' }).first();
    assert.equal(Number(audited!.n), 2);
    const page = await owner.agent.get(`/b/${businessId}/rules`);
    assert.match(page.text, /Rule created; 2 expenses recategorised\./);
  });

  test('an owner confirming a recategorisation files exactly the named expenses', async () => {
    const roasters = await ctx.db('transactions').where({ business_id: businessId, counterparty: 'Corner Roasters' }).pluck('id');
    const meals = (await ctx.db('categories').where({ business_id: businessId, name: 'Meals' }).first('id')).id;
    const res = await owner.agent
      .post(`/b/${businessId}/suggested-changes`)
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'recategorise', transaction_ids: roasters.join(','), category_id: meals, confirm: 'yes' });
    assert.equal(res.status, 303);
    const row = await ctx.db('transactions').where({ id: roasters[0] }).first('category_id');
    assert.equal(row.category_id, meals);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rules from '../services/ledger/rules.ts';
import { appWithOwner, insertBusiness, insertLedgerRows, insertUser, signedInMember, signIn } from './helpers.ts';

describe('editing, reordering and switching rules', () => {
  const f = appWithOwner();
  const cats = async () => Object.fromEntries((await f.ctx.db('categories').where({ business_id: f.businessId }).select('name', 'id')).map((c) => [c.name, c.id]));
  const order = async () => (await rules.list(f.ctx.db, f.businessId)).map((r) => r.pattern);
  const form = (fields: Record<string, string>) => ({ _csrf: f.owner.csrf, field: 'description', match: 'contains', min_amount: '', max_amount: '', set_counterparty: '', ...fields });

  test('an edited rule keeps its place and applies what it now says', async () => {
    const cat = await cats();
    const a = await rules.create(f.ctx.db, f.businessId, rules.ruleInput.parse({ pattern: 'uber', category_id: cat.Travel }));
    await rules.create(f.ctx.db, f.businessId, rules.ruleInput.parse({ pattern: 'aws', category_id: cat.Software }));
    const page = await f.owner.agent.get(`/b/${f.businessId}/rules/${a.id}/edit`);
    assert.equal(page.status, 200);
    assert.match(page.text, /value="uber"/);
    const res = await f.owner.agent
      .post(`/b/${f.businessId}/rules/${a.id}`)
      .type('form')
      .send(form({ pattern: 'lyft', category_id: cat.Travel, max_amount: '50.00' }));
    assert.equal(res.status, 303);
    const saved = await rules.get(f.ctx.db, f.businessId, a.id);
    assert.equal(saved.pattern, 'lyft');
    assert.equal(saved.max_amount, 5000);
    assert.deepEqual(await order(), ['lyft', 'aws']);
    const list = await f.owner.agent.get(`/b/${f.businessId}/rules`);
    assert.match(list.text, /contains “lyft”, at most \$50\.00/);
  });

  test('a bad edit answers 422 with the field message and changes nothing', async () => {
    const [first] = await rules.list(f.ctx.db, f.businessId);
    const res = await f.owner.agent
      .post(`/b/${f.businessId}/rules/${first.id}`)
      .type('form')
      .send(form({ pattern: '', match: 'contains' }));
    assert.equal(res.status, 422);
    assert.match(res.text, /Say what to look for/);
    const regex = await f.owner.agent
      .post(`/b/${f.businessId}/rules/${first.id}`)
      .type('form')
      .send(form({ pattern: '(?<n>x)', match: 'regex' }));
    assert.equal(regex.status, 422);
    assert.equal((await rules.get(f.ctx.db, f.businessId, first.id)).pattern, 'lyft');
  });

  test('moving a rule down and back up changes which rule wins', async () => {
    const cat = await cats();
    await insertLedgerRows(f.ctx.db, f.businessId, [{ description: 'AWS via Lyft card', amount: -1000, occurred_on: '2026-11-02' }]);
    const [lyft] = await rules.list(f.ctx.db, f.businessId);
    const down = await f.owner.agent.post(`/b/${f.businessId}/rules/${lyft.id}/position`).type('form').send({ _csrf: f.owner.csrf, position: '2' });
    assert.equal(down.status, 303);
    assert.deepEqual(await order(), ['aws', 'lyft']);
    await rules.applyToLedger(f.ctx.db, f.businessId, { userId: f.user.id, now: f.ctx.clock.now() }, {});
    const row = () => f.ctx.db('transactions').where({ business_id: f.businessId, description: 'AWS via Lyft card' }).first('category_id');
    assert.equal((await row()).category_id, cat.Software, 'the first rule in the order wins');
    await f.owner.agent.post(`/b/${f.businessId}/rules/${lyft.id}/position`).type('form').send({ _csrf: f.owner.csrf, position: '1' });
    assert.deepEqual(await order(), ['lyft', 'aws']);
    await rules.applyToLedger(f.ctx.db, f.businessId, { userId: f.user.id, now: f.ctx.clock.now() }, {});
    assert.equal((await row()).category_id, cat.Travel);
    const bad = await f.owner.agent.post(`/b/${f.businessId}/rules/${lyft.id}/position`).type('form').send({ _csrf: f.owner.csrf, position: 'first' });
    assert.equal(bad.status, 422);
  });

  test('a switched-off rule is skipped on import and on demand, and comes back when switched on', async () => {
    const cat = await cats();
    const [lyft] = await rules.list(f.ctx.db, f.businessId);
    const off = await f.owner.agent.post(`/b/${f.businessId}/rules/${lyft.id}/status`).type('form').send({ _csrf: f.owner.csrf, enabled: 'false' });
    assert.equal(off.status, 303);
    assert.match((await f.owner.agent.get(`/b/${f.businessId}/rules`)).text, /Turn on/);
    const imported = await f.owner.agent
      .post('/api/v1/imports')
      .set('X-CSRF-Token', f.owner.csrf)
      .field('business_id', f.businessId)
      .attach('file', Buffer.from('Date,Description,Amount\n2026-11-20,LYFT RIDE 42,-12.00\n'), 'lyft.csv');
    assert.equal(imported.status, 201);
    const row = () => f.ctx.db('transactions').where({ business_id: f.businessId, description: 'LYFT RIDE 42' }).first('category_id');
    assert.equal((await row()).category_id, null);
    await f.owner.agent.post(`/b/${f.businessId}/rules/${lyft.id}/status`).type('form').send({ _csrf: f.owner.csrf, enabled: 'true' });
    await rules.applyToLedger(f.ctx.db, f.businessId, { userId: f.user.id, now: f.ctx.clock.now() }, {});
    assert.equal((await row()).category_id, cat.Travel);
  });

  test('a viewer cannot edit, move or switch a rule; a stranger is refused and learns nothing', async () => {
    const [rule] = await rules.list(f.ctx.db, f.businessId);
    const viewer = await signedInMember(f.ctx, f.businessId, 'viewer');
    const strangerUser = await insertUser(f.ctx.db);
    await insertBusiness(f.ctx.db, strangerUser.id);
    const stranger = await signIn(f.ctx.app, strangerUser.email, strangerUser.password);
    for (const who of [viewer, stranger]) {
      assert.equal((await who.agent.get(`/b/${f.businessId}/rules/${rule.id}/edit`)).status, 403);
      for (const [path, body] of [
        ['', { pattern: 'x' }],
        ['/position', { position: '2' }],
        ['/status', { enabled: 'false' }],
      ] as const) {
        const res = await who.agent
          .post(`/b/${f.businessId}/rules/${rule.id}${path}`)
          .type('form')
          .send({ _csrf: who.csrf, ...body });
        assert.equal(res.status, 403, path);
        assert.doesNotMatch(res.text, /lyft|aws/i);
      }
    }
    const after = await rules.get(f.ctx.db, f.businessId, rule.id);
    assert.deepEqual([after.pattern, after.enabled], [rule.pattern, rule.enabled]);
    assert.deepEqual(await order(), ['lyft', 'aws']);
  });

  test("another business's rule is not found from this business", async () => {
    const other = await insertBusiness(f.ctx.db, f.user.id);
    const theirs = await rules.create(f.ctx.db, other.id, rules.ruleInput.parse({ pattern: 'theirs' }));
    assert.equal((await f.owner.agent.get(`/b/${f.businessId}/rules/${theirs.id}/edit`)).status, 404);
    const res = await f.owner.agent.post(`/b/${f.businessId}/rules/${theirs.id}/status`).type('form').send({ _csrf: f.owner.csrf, enabled: 'false' });
    assert.equal(res.status, 404);
    assert.equal((await rules.get(f.ctx.db, other.id, theirs.id)).enabled, true);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';

describe('the agent over the JSON API', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Awaited<ReturnType<typeof signIn>>;
  let stranger: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    ctx = await createTestApp();
    const o = await insertUser(ctx.db);
    const s = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, o.id)).id;
    await insertBusiness(ctx.db, s.id);
    await insertLedgerRows(ctx.db, businessId, [{ kind: 'expense', amount: -9000, amount_base: -9000, occurred_on: '2026-10-01', description: 'QuickBooks subscription', counterparty: 'QuickBooks' }]);
    owner = await signIn(ctx.app, o.email, o.password);
    stranger = await signIn(ctx.app, s.email, s.password);
  });
  after(() => ctx.close());

  test('POST /agent/chat answers and GET /agent/conversations/{id} reads the conversation back', async () => {
    const res = await owner.agent.post('/api/v1/agent/chat').set('X-CSRF-Token', owner.csrf).send({ business_id: businessId, message: 'How much did we spend on QuickBooks last month?' });
    assert.equal(res.status, 200);
    assert.match(res.body.response, /\$90\.00/);
    assert.deepEqual(res.body.tool_calls, [{ name: 'expense_search', arguments: { limit: 20, q: 'QuickBooks', from: '2026-10-01', to: '2026-10-31' } }]);
    const follow = await owner.agent
      .post('/api/v1/agent/chat')
      .set('X-CSRF-Token', owner.csrf)
      .send({ business_id: businessId, message: "What's my runway?", conversation_id: res.body.conversation_id });
    assert.equal(follow.body.conversation_id, res.body.conversation_id);

    const conv = await owner.agent.get(`/api/v1/agent/conversations/${res.body.conversation_id}`);
    assert.equal(conv.status, 200);
    assert.equal(conv.body.id, res.body.conversation_id);
    assert.deepEqual(
      conv.body.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    assert.equal(conv.body.messages[1].id, res.body.message_id);
    assert.ok(conv.body.messages.every((m: { created_at: string }) => !Number.isNaN(Date.parse(m.created_at))));
  });

  test('a bad body is a 422 with field messages; strangers get 403 and 404', async () => {
    const bad = await owner.agent.post('/api/v1/agent/chat').set('X-CSRF-Token', owner.csrf).send({ business_id: businessId, message: '' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'validation');
    assert.ok(bad.body.error.details.message);
    const forbidden = await stranger.agent.post('/api/v1/agent/chat').set('X-CSRF-Token', stranger.csrf).send({ business_id: businessId, message: 'hi' });
    assert.equal(forbidden.status, 403);
    const [conversation] = await ctx.db('conversations').where({ business_id: businessId });
    assert.equal((await stranger.agent.get(`/api/v1/agent/conversations/${conversation.id}`)).status, 404);
    const other = await stranger.agent.post('/api/v1/agent/chat').set('X-CSRF-Token', stranger.csrf).send({ message: 'hi', conversation_id: conversation.id });
    assert.equal(other.status, 404, "a conversation id from someone else's business is not found");
  });
});

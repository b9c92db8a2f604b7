import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, insertBusiness, insertLedgerRows, insertUser, captureLogger } from './helpers.ts';
import { startFakeOpenAi, type FakeOpenAi } from './fakes/openai.ts';
import { testConfig, type AiConfig } from '../services/core/config.ts';
import { fixedClock } from '../services/core/clock.ts';
import { indexKnowledge } from '../services/agent/knowledge.ts';
import * as conversations from '../services/agent/conversations.ts';
import { generate, type AgentDeps } from '../services/agent/chat.ts';
import { MAX_ROUNDS } from '../services/agent/model.ts';
import type { Db } from '../services/core/db.ts';

describe('the agent with an OpenAI-compatible model', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let fake: FakeOpenAi;
  let businessId: string;
  let userId: string;
  const clock = fixedClock('2026-11-25T12:00:00Z');
  const logs = captureLogger();
  const deps = (ai: Partial<AiConfig> = {}): AgentDeps => ({
    db,
    clock,
    logger: logs.logger,
    config: testConfig({ ai: { apiKey: 'sk-test-secret-key-123', baseUrl: fake.baseUrl, model: 'fake-model', timeoutMs: 5000, ...ai } }),
  });
  const turn = (message: string) => conversations.startTurn(db, clock, businessId, userId, { message });

  before(async () => {
    ({ db, drop } = await createTestDb());
    fake = await startFakeOpenAi();
    const user = await insertUser(db);
    userId = user.id;
    businessId = (await insertBusiness(db, user.id, { name: 'Kite Supplies' })).id;
    const cats = new Map((await db('categories').where({ business_id: businessId })).map((c) => [c.name, c.id]));
    await insertLedgerRows(db, businessId, [
      { kind: 'expense', amount: -7900, amount_base: -7900, occurred_on: '2026-08-01', description: 'Shopify subscription', counterparty: 'Shopify', category_id: cats.get('Software') },
      { kind: 'expense', amount: -4500, amount_base: -4500, occurred_on: '2026-09-01', description: 'Slack subscription', counterparty: 'Slack', category_id: cats.get('Software') },
      { kind: 'expense', amount: -420000, amount_base: -420000, occurred_on: '2026-09-01', description: 'Rent', category_id: cats.get('Rent') },
    ]);
    await indexKnowledge(db, clock);
  });
  after(async () => {
    await fake.close();
    await drop();
  });

  test('the model’s call to categorisation_suggestions becomes confirm suggestions built from the tool result, not from its text', async () => {
    await insertLedgerRows(db, businessId, [{ kind: 'expense', amount: -4500, amount_base: -4500, occurred_on: '2026-11-01', description: 'SLACK T0123', counterparty: 'Slack' }]);
    const slackRow = await db('transactions').where({ business_id: businessId, counterparty: 'Slack' }).whereNull('category_id').first('id');
    const software = (await db('categories').where({ business_id: businessId, name: 'Software' }).first('id')).id;
    fake.script([{ toolCalls: [{ name: 'categorisation_suggestions', arguments: '{}' }] }, { text: 'One Slack charge has no category; the button below files it under Software once you confirm.' }]);
    const { reply } = await turn('Anything uncategorised?');
    const stored = await generate(deps(), businessId, reply.id);
    assert.equal(stored.status, 'complete');
    assert.deepEqual(stored.suggestions, [
      { kind: 'rule', label: "Create rule: vendor contains 'Slack' → Software", field: 'counterparty', pattern: 'Slack', category_id: software, category: 'Software' },
      { kind: 'recategorise', label: 'Move 1 uncategorised Slack expense to Software', transaction_ids: [slackRow.id], category_id: software, category: 'Software' },
    ]);
    assert.equal((await db('transactions').where({ id: slackRow.id }).first('category_id')).category_id, null, 'the agent changed nothing');
    await db('transactions').where({ id: slackRow.id }).delete();
  });

  test('a question leads to tool calls, their results reach the model, and the streamed, cited answer is stored', async () => {
    const answer = 'You spent $124.00 on software in Q3 2026 ([Matching expenses](/b/x/expenses)). Keep a cash buffer. [Source: cash-flow-basics]';
    fake.script([
      {
        toolCalls: [
          { name: 'expense_search', arguments: '{"category":"Software","from":"2026-07-01","to":"2026-09-30"}' },
          { name: 'knowledge_search', arguments: '{"query":"cash buffer"}' },
        ],
      },
      { text: answer },
    ]);
    const { question, reply } = await turn('What did we spend on software last quarter?');
    const tokens: string[] = [];
    const stored = await generate(deps(), businessId, reply.id, (t) => tokens.push(t));

    assert.equal(fake.requests.length, 2);
    const [first, second] = fake.requests;
    assert.equal(first.model, 'fake-model');
    assert.equal(first.stream, true);
    assert.equal(first.authorization, 'Bearer sk-test-secret-key-123');
    assert.equal(first.messages[0].role, 'system');
    assert.match(first.messages[0].content, /\[Source: doc_id\]/);
    assert.deepEqual(first.messages.slice(1), [{ role: 'user', content: question.content }]);
    assert.ok(first.tools.some((t: { function: { name: string; parameters: { type: string } } }) => t.function.name === 'expense_search' && t.function.parameters.type === 'object'));

    const toolMessages = second.messages.filter((m: { role: string }) => m.role === 'tool');
    assert.equal(toolMessages.length, 2);
    assert.equal(second.messages.find((m: { role: string }) => m.role === 'assistant').tool_calls[0].function.name, 'expense_search');
    const expenses = JSON.parse(toolMessages[0].content);
    assert.equal(expenses.data.total_spent.minor, 12_400);
    assert.equal(expenses.data.count, 2);
    const software = (await db('categories').where({ business_id: businessId, name: 'Software' }).first('id')).id;
    assert.equal(expenses.links[0].href, `/b/${businessId}/expenses?category=${software}&from=2026-07-01&to=2026-09-30`, 'the list filters by category id, as its own select does');
    assert.ok(JSON.parse(toolMessages[1].content).citations.length > 0, 'knowledge results carry their doc ids');

    assert.ok(tokens.length > 5, 'the answer arrived in pieces');
    assert.equal(tokens.join(''), answer);
    assert.equal(stored.status, 'complete');
    assert.equal(stored.content, answer);
    assert.equal(stored.analyst, 'model');
    assert.deepEqual(
      stored.tool_calls!.map((c) => c.name),
      ['expense_search', 'knowledge_search'],
    );
    assert.ok(stored.links!.some((l) => l.href.includes(`/expenses?category=${software}`)));
    assert.match(stored.content, /\[Source: cash-flow-basics\]/);
  });

  test('the next question carries the conversation so far', async () => {
    fake.script([{ text: 'First answer.' }]);
    const t1 = await turn('Hello');
    await generate(deps(), businessId, t1.reply.id);
    fake.script([{ text: 'Second answer.' }]);
    const t2 = await conversations.startTurn(db, clock, businessId, userId, { message: 'And then?', conversation_id: t1.conversation.id });
    await generate(deps(), businessId, t2.reply.id);
    assert.deepEqual(fake.requests[0].messages.slice(1), [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'First answer.' },
      { role: 'user', content: 'And then?' },
    ]);
  });

  const failures: [string, Parameters<FakeOpenAi['script']>[0], RegExp, Partial<AiConfig>?][] = [
    ['a model that never answers times out', [{ hang: true }], /did not answer within 0\.3 seconds/, { timeoutMs: 300 }],
    ['a model error is shown with its status', [{ fail: { status: 500, message: 'The server had an error while processing your request.' } }], /answered with an error \(500: The server had an error/],
    ['an unreadable stream is named as such', [{ garbage: true }], /could not read/],
    ['a tool call whose arguments are not JSON stops the reply', [{ toolCalls: [{ name: 'expense_search', arguments: '{"category": Software' }] }], /not valid JSON/],
    [
      'an error that echoes the key does not show it',
      [{ fail: { status: 401, message: 'Incorrect API key provided: sk-test-secret-key-123.', type: 'invalid_request_error', code: 'invalid_api_key' } }],
      /answered with an error \(401: Incorrect API key provided: \[redacted\]/,
    ],
  ];
  for (const [name, script, shown, ai] of failures) {
    test(`${name}; the user's message stays saved`, async () => {
      fake.script(script);
      const { question, reply } = await turn(`Question for: ${name}`);
      const stored = await generate(deps(ai), businessId, reply.id);
      assert.equal(stored.status, 'failed');
      assert.match(stored.error!, shown);
      assert.doesNotMatch(stored.error!, /sk-test-secret/);
      const saved = await db('messages').where({ id: question.id }).first();
      assert.equal(saved.content, `Question for: ${name}`);
      assert.equal(saved.status, 'complete');
    });
  }

  test('a failed reply can be retried and then succeeds', async () => {
    fake.script([{ fail: { status: 503, message: 'Overloaded' } }]);
    const { reply } = await turn('Try me');
    assert.equal((await generate(deps(), businessId, reply.id)).status, 'failed');
    await conversations.retry(db, businessId, userId, reply.id);
    fake.script([{ text: 'Now it works.' }]);
    const again = await generate(deps(), businessId, reply.id);
    assert.equal(again.status, 'complete');
    assert.equal(again.content, 'Now it works.');
    assert.equal(fake.requests[0].messages.at(-1).content, 'Try me');
  });

  test('an unknown tool is reported back to the model, which can still answer', async () => {
    fake.script([{ toolCalls: [{ name: 'wire_money', arguments: '{}' }] }, { text: 'I cannot do that; I only read.' }]);
    const { reply } = await turn('Pay the rent');
    const stored = await generate(deps(), businessId, reply.id);
    assert.equal(stored.status, 'complete');
    const tool = fake.requests[1].messages.find((m: { role: string }) => m.role === 'tool');
    assert.match(tool.content, /no tool named wire_money/);
  });

  test(`tool rounds are bounded: round ${MAX_ROUNDS} offers no tools, so the model must answer`, async () => {
    const loop = { toolCalls: [{ name: 'business_context', arguments: '{}' }] };
    fake.script([loop, loop, loop, { text: 'Done looping.' }]);
    const { reply } = await turn('Loop forever');
    const stored = await generate(deps(), businessId, reply.id);
    assert.equal(fake.requests.length, MAX_ROUNDS);
    assert.ok(fake.requests.slice(0, -1).every((r) => Array.isArray(r.tools)));
    assert.equal(fake.requests.at(-1)!.tools, undefined);
    assert.equal(stored.content, 'Done looping.');
  });

  test('the API key never reaches the logs', () => {
    assert.ok(logs.lines.length > 0, 'failures were logged');
    assert.ok(logs.lines.every((l) => !l.includes('sk-test-secret')));
  });
});

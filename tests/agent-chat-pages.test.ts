import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addMember, createTestApp, insertBusiness, insertLedgerRows, insertUser, signIn, type TestContext } from './helpers.ts';
import { startFakeOpenAi, type FakeOpenAi } from './fakes/openai.ts';

type Agent = Awaited<ReturnType<typeof signIn>>;

function events(body: string): { event: string; data: string }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      return {
        event: lines.find((l) => l.startsWith('event: '))!.slice(7),
        data: lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n'),
      };
    });
}

describe('chat pages with the offline analyst', () => {
  let ctx: TestContext;
  let businessId: string;
  let owner: Agent;
  let colleague: Agent;
  before(async () => {
    ctx = await createTestApp();
    const o = await insertUser(ctx.db);
    const c = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, o.id, { name: 'Lantern Books' })).id;
    await addMember(ctx.db, businessId, c.id, 'viewer');
    await insertLedgerRows(ctx.db, businessId, [
      { kind: 'transfer', amount: 500_000, amount_base: 500_000, occurred_on: '2026-10-01' },
      { kind: 'expense', amount: -60_000, amount_base: -60_000, occurred_on: '2026-11-01' },
    ]);
    owner = await signIn(ctx.app, o.email, o.password);
    colleague = await signIn(ctx.app, c.email, c.password);
  });
  after(() => ctx.close());

  test('every business page has the drawer; the chat page has the thread instead', async () => {
    const overview = await owner.agent.get(`/b/${businessId}`);
    assert.match(overview.text, /<details class="chat-drawer" data-chat-drawer>/);
    assert.match(overview.text, /<script src="\/vendor\/htmx-ext-sse.js" defer><\/script>/);
    const chat = await owner.agent.get(`/b/${businessId}/chat`);
    assert.equal(chat.status, 200);
    assert.doesNotMatch(chat.text, /data-chat-drawer/);
    assert.match(chat.text, /id="chat-thread"/);
    assert.match(chat.text, /aria-current="page">Chat</);
  });

  test('a question posted with htmx shows at once with a pending reply, which streams and is stored', async () => {
    const res = await owner.agent.post(`/b/${businessId}/chat/messages`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, message: "What's my runway?" });
    assert.equal(res.status, 200);
    assert.match(res.text, /^\s*<section id="chat-thread"/);
    assert.match(res.text, /<div class="msg-body">What&#39;s my runway\?<\/div>/);
    const [, replyId] = /sse-connect="\/b\/[^/]+\/chat\/messages\/([0-9a-f-]{36})\/stream"/.exec(res.text)!;
    const stored = await ctx.db('messages').where({ id: replyId }).first();
    assert.equal(stored.status, 'pending');
    const question = await ctx.db('messages').where({ conversation_id: stored.conversation_id, role: 'user' }).first();
    assert.equal(question.content, "What's my runway?");

    const stream = await owner.agent
      .get(`/b/${businessId}/chat/messages/${replyId}/stream`)
      .buffer(true)
      .parse((r, cb) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c));
        r.on('end', () => cb(null, body));
      });
    assert.equal(stream.status, 200);
    assert.match(stream.headers['content-type'], /^text\/event-stream/);
    const evs = events(stream.body as string);
    const tokens = evs.filter((e) => e.event === 'token');
    assert.ok(tokens.length > 10, 'streamed in pieces');
    assert.match(tokens.map((t) => t.data).join(''), /\$4,400\.00/);
    const done = evs.at(-1)!;
    assert.equal(done.event, 'done');
    assert.match(done.data, new RegExp(`^<article class="msg msg-assistant" id="msg-${replyId}" hx-boost="false">`), 'its links open their pages, not swapped into the thread');
    assert.match(done.data, /<strong>\$4,400\.00<\/strong>/);
    assert.match(done.data, /Offline analyst/);
    assert.equal((await ctx.db('messages').where({ id: replyId }).first()).status, 'complete');

    const again = await owner.agent.get(`/b/${businessId}/chat/messages/${replyId}/stream`);
    assert.equal(events(again.text).length, 1, 'a finished reply is sent whole, not generated again');
  });

  test('without JavaScript the form posts, waits for the answer and shows the conversation', async () => {
    const res = await owner.agent.post(`/b/${businessId}/chat/messages`).type('form').send({ _csrf: owner.csrf, message: 'Tell me about my business' });
    assert.equal(res.status, 303);
    const url = res.headers.location.replace(/#.*$/, '');
    assert.match(url, new RegExp(`^/b/${businessId}/chat/[0-9a-f-]{36}$`));
    const page = await owner.agent.get(url);
    assert.match(page.text, /<strong>Lantern Books<\/strong>/);
    assert.match(page.text, /Tell me about my business/);
    assert.match(page.text, /<input type="hidden" name="conversation_id"/);
  });

  test('a suggested change is a link the user follows to make it; the agent itself changes nothing', async () => {
    await insertLedgerRows(ctx.db, businessId, [
      { kind: 'expense', amount: -1500, amount_base: -1500, occurred_on: '2026-11-10', description: 'Figma seat', counterparty: 'Figma', category_id: null },
    ]);
    const before = await ctx.db('transactions').where({ business_id: businessId }).orderBy('id');
    const res = await owner.agent.post(`/b/${businessId}/chat/messages`).type('form').send({ _csrf: owner.csrf, message: 'How much did we pay Figma this month?' });
    const page = await owner.agent.get(res.headers.location.replace(/#.*$/, ''));
    assert.match(page.text, new RegExp(`<a class="button small" href="/b/${businessId}/expenses\\?q=Figma&amp;from=2026-11-01&amp;to=2026-11-25">Categorise 1 uncategorised expense</a>`));
    assert.match(page.text, /Bursar only suggests: each change shows what it would touch and waits for you to confirm\./);
    assert.deepEqual(await ctx.db('transactions').where({ business_id: businessId }).orderBy('id'), before);
  });

  test('an empty question is refused with the field message', async () => {
    const res = await owner.agent.post(`/b/${businessId}/chat/messages`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, message: '   ' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Write a question/);
  });

  test('conversations are listed, renamed and deleted, and stay private to their user', async () => {
    const [conversation] = await ctx.db('conversations').where({ business_id: businessId }).orderBy('created_at');
    const list = await owner.agent.get(`/b/${businessId}/chat`);
    assert.match(list.text, /What&#39;s my runway\?/);
    const renamed = await owner.agent.post(`/b/${businessId}/chat/${conversation.id}`).type('form').send({ _csrf: owner.csrf, title: 'Runway check' });
    assert.equal(renamed.status, 303);
    assert.equal((await ctx.db('conversations').where({ id: conversation.id }).first()).title, 'Runway check');
    const bad = await owner.agent.post(`/b/${businessId}/chat/${conversation.id}`).type('form').send({ _csrf: owner.csrf, title: '' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Enter a title/);

    assert.equal((await colleague.agent.get(`/b/${businessId}/chat/${conversation.id}`)).status, 404);
    const reply = await ctx.db('messages').where({ conversation_id: conversation.id, role: 'assistant' }).first();
    assert.equal((await colleague.agent.get(`/b/${businessId}/chat/messages/${reply.id}/stream`)).status, 404);
    assert.equal((await colleague.agent.post(`/b/${businessId}/chat/${conversation.id}/deletion`).type('form').send({ _csrf: colleague.csrf })).status, 404);
    assert.doesNotMatch((await colleague.agent.get(`/b/${businessId}/chat`)).text, /Runway check/);

    const del = await owner.agent.post(`/b/${businessId}/chat/${conversation.id}/deletion`).type('form').send({ _csrf: owner.csrf });
    assert.equal(del.status, 303);
    assert.equal(await ctx.db('conversations').where({ id: conversation.id }).first(), undefined);
    assert.equal((await ctx.db('messages').where({ conversation_id: conversation.id })).length, 0);
  });
});

describe('chat pages with a model that fails', () => {
  let ctx: TestContext;
  let fake: FakeOpenAi;
  let businessId: string;
  let owner: Agent;
  before(async () => {
    fake = await startFakeOpenAi();
    ctx = await createTestApp({ config: { ai: { apiKey: 'sk-test', baseUrl: fake.baseUrl, model: 'fake-model', timeoutMs: 250 } } });
    const o = await insertUser(ctx.db);
    businessId = (await insertBusiness(ctx.db, o.id)).id;
    owner = await signIn(ctx.app, o.email, o.password);
  });
  after(async () => {
    await fake.close();
    await ctx.close();
  });

  test('a time-out shows a clear message with a retry, the question stays saved, and the retry answers', async () => {
    fake.script([{ hang: true }]);
    const res = await owner.agent.post(`/b/${businessId}/chat/messages`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, message: 'How are sales going?' });
    const [, replyId] = /chat\/messages\/([0-9a-f-]{36})\/stream/.exec(res.text)!;
    const stream = await owner.agent.get(`/b/${businessId}/chat/messages/${replyId}/stream`);
    const done = events(stream.text).at(-1)!;
    assert.equal(done.event, 'done');
    assert.match(done.data, /role="alert"><strong>No answer this time\.<\/strong> The AI model did not answer within 0\.3 seconds\./);
    assert.match(done.data, /<button type="submit" class="small">Retry<\/button>/);
    const question = await ctx.db('messages').where({ business_id: businessId, role: 'user' }).first();
    assert.equal(question.content, 'How are sales going?');

    fake.script([{ text: 'Sales are steady.' }]);
    const retry = await owner.agent.post(`/b/${businessId}/chat/messages/${replyId}/retries`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
    assert.equal(retry.status, 200);
    assert.match(retry.text, new RegExp(`sse-connect="/b/${businessId}/chat/messages/${replyId}/stream"`));
    const second = await owner.agent.get(`/b/${businessId}/chat/messages/${replyId}/stream`);
    assert.match(events(second.text).at(-1)!.data, /Sales are steady\./);
    assert.match(events(second.text).at(-1)!.data, /AI model/);
  });
});

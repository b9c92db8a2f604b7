import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasVectorStore, indexKnowledge, search } from '../services/agent/knowledge.ts';
import { openAiEmbedder, type Embedder } from '../services/agent/embeddings.ts';
import { answerOffline } from '../services/agent/offline.ts';
import { runTool, toolContext } from '../services/agent/tools.ts';
import { fixedClock } from '../services/core/clock.ts';
import type { Db } from '../services/core/db.ts';
import { createTestApp, createTestDb, signedInOwner } from './helpers.ts';
import { fakeEmbedding, startFakeOpenAi, type FakeOpenAi } from './fakes/openai.ts';

/**
 * Three small guides. The question below shares no word with the one about disputes
 * (so full-text search cannot find it) but means the same, and the fake endpoint's
 * embeddings put the two near each other, as a real model would.
 */
const DOCS: Record<string, string> = {
  'card-disputes.md':
    '---\ndoc_id: card-disputes\ntitle: Card disputes\n---\n# Card disputes\n\nWhen a cardholder asks the issuer to reverse a charge, the reversal costs the fee and the goods. Answer every chargeback with proof of delivery and keep orders traceable.',
  'payout-schedule.md': '---\ndoc_id: payout-schedule\ntitle: Payout schedule\n---\n# Payout schedule\n\nSettlements land on a fixed weekday; deposits arrive two working days later.',
  'pricing.md': '---\ndoc_id: pricing\ntitle: Pricing\n---\n# Pricing\n\nSet prices from unit costs and a margin target, then review them every quarter.',
};
const QUESTION = 'Why do customers contest purchases with their bank?';

function knowledgeDir(docs = DOCS): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kb-vec-'));
  for (const [file, text] of Object.entries(docs)) writeFileSync(path.join(dir, file), text);
  return dir;
}

test('the fake endpoint’s embeddings put the question near the disputes guide and far from the others', () => {
  const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const q = fakeEmbedding(QUESTION);
  assert.ok(cos(q, fakeEmbedding(DOCS['card-disputes.md'])) > 0.3);
  assert.ok(cos(q, fakeEmbedding(DOCS['payout-schedule.md'])) < 0.1);
});

describe('knowledge search with an embeddings endpoint', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let fake: FakeOpenAi;
  let embedder: Embedder;
  let hasVector = false;
  const clock = fixedClock('2026-11-25T12:00:00Z');
  const dir = knowledgeDir();

  before(async () => {
    ({ db, drop } = await createTestDb());
    fake = await startFakeOpenAi();
    embedder = openAiEmbedder({ apiKey: 'sk-test', baseUrl: fake.baseUrl, model: 'fake-embedding-1', timeoutMs: 2000 });
    hasVector = await hasVectorStore(db);
  });
  after(async () => {
    await drop();
    await fake.close();
  });

  test('without an endpoint, search is full-text and finds nothing for a question in other words', async () => {
    const result = await indexKnowledge(db, clock, dir);
    assert.deepEqual(result, { indexed: ['card-disputes', 'payout-schedule', 'pricing'], unchanged: 0, removed: 0 });
    assert.equal(fake.embeddingRequests.length, 0);
    assert.equal((await search(db, 'settlements weekday'))[0].doc_id, 'payout-schedule');
    assert.deepEqual(await search(db, QUESTION), []);
  });

  test('indexing embeds every chunk once, in the embeddings wire format', async (t) => {
    const result = await indexKnowledge(db, clock, dir, embedder);
    if (!hasVector) {
      assert.equal(result.embedded, 0, 'without pgvector nothing is embedded and nothing breaks');
      return t.skip('pgvector not installed');
    }
    assert.equal(result.embedded, 3);
    assert.equal(fake.embeddingRequests.length, 1);
    const inputs = fake.embeddingRequests[0].input as string[];
    assert.equal(inputs.length, 3, 'one request for all chunks');
    assert.match(inputs[0], /^Card disputes\n[\s\S]*When a cardholder asks the issuer/, 'each chunk is embedded with its heading');
    assert.equal(fake.embeddingRequests[0].model, 'fake-embedding-1');
    const stored: { model: string; n: number }[] = await db('knowledge_embeddings').groupBy('model').select('model', db.raw('count(*)::int as n'));
    assert.deepEqual(stored, [{ model: 'fake-embedding-1', n: 3 }]);
  });

  test('a question with no word in common with a guide finds it by meaning, merged with the text ranking', async (t) => {
    if (!hasVector) return t.skip('pgvector not installed');
    const hits = await search(db, QUESTION, 3, { embedder });
    assert.equal(hits[0].doc_id, 'card-disputes');
    assert.ok(!hits.some((h) => h.doc_id === 'pricing'), 'a guide far in meaning and sharing no word is left out');
    const both = await search(db, 'when do settlements arrive', 3, { embedder });
    assert.equal(both[0].doc_id, 'payout-schedule', 'first in both rankings, first in the merge');
  });

  test('the offline analyst answers from that guide and cites it', async (t) => {
    if (!hasVector) return t.skip('pgvector not installed');
    const reply = await answerOffline(db, '00000000-0000-0000-0000-000000000000', QUESTION, toolContext(clock, embedder));
    assert.equal(reply.intent, 'knowledge');
    assert.match(reply.text, /\[Source: card-disputes\]/);
    assert.deepEqual(reply.citations.slice(0, 1), ['card-disputes']);
  });

  test('indexing again asks for no embedding; an edited guide alone is embedded again', async (t) => {
    if (!hasVector) return t.skip('pgvector not installed');
    const before = fake.embeddingRequests.length;
    const again = await indexKnowledge(db, clock, dir, embedder);
    assert.equal(again.embedded, 0);
    assert.equal(fake.embeddingRequests.length, before);
    writeFileSync(path.join(dir, 'pricing.md'), DOCS['pricing.md'].replace('every quarter', 'every month'));
    const edited = await indexKnowledge(db, clock, dir, embedder);
    assert.deepEqual(edited.indexed, ['pricing']);
    assert.equal(edited.embedded, 1);
    assert.equal((fake.embeddingRequests.at(-1)!.input as string[]).length, 1);
  });

  test('an endpoint that fails leaves search full-text, and the tool says so instead of failing', async () => {
    const broken: Embedder = { model: 'fake-embedding-1', embed: async () => Promise.reject(new Error('503 Service Unavailable')) };
    const { data, citations } = await runTool(db, '00000000-0000-0000-0000-000000000000', 'knowledge_search', { query: 'settlements weekday' }, toolContext(clock, broken));
    assert.equal((data.results as { doc_id: string }[])[0].doc_id, 'payout-schedule');
    // Without pgvector the endpoint is never asked, so there is nothing to report.
    assert.equal(data.semantic_search_unavailable, hasVector ? '503 Service Unavailable' : undefined);
    assert.deepEqual(citations, ['payout-schedule']);
    const indexed = await indexKnowledge(db, clock, knowledgeDir({ ...DOCS, 'new.md': '---\ndoc_id: new\ntitle: New\n---\nA new guide.' }), broken);
    assert.ok(indexed.indexed.includes('new'));
    if (hasVector) assert.equal(indexed.embedding_error, '503 Service Unavailable');
  });
});

describe('the chat with an embeddings endpoint configured', () => {
  test('a question in other words than the guide is answered from it, with the citation', async (t) => {
    const fake = await startFakeOpenAi();
    const embeddings = { apiKey: 'sk-test', baseUrl: fake.baseUrl, model: 'fake-embedding-1', timeoutMs: 2000 };
    const ctx = await createTestApp({ config: { embeddings } });
    try {
      if (!(await hasVectorStore(ctx.db))) return t.skip('pgvector not installed');
      await indexKnowledge(ctx.db, ctx.clock, knowledgeDir(), openAiEmbedder(embeddings));
      const { businessId, owner } = await signedInOwner(ctx);
      const res = await owner.agent.post('/api/v1/agent/chat').set('X-CSRF-Token', owner.csrf).send({ business_id: businessId, message: QUESTION });
      assert.equal(res.status, 200);
      assert.match(res.body.response, /\[Source: card-disputes\]/);
      assert.equal(fake.embeddingRequests.at(-1)!.input[0], QUESTION, 'the question was embedded through the configured endpoint');
    } finally {
      await ctx.close();
      await fake.close();
    }
  });
});

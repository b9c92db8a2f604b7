import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chunkDocument, indexKnowledge, KNOWLEDGE_DIR, parseDocument, search, TOKENS_PER_WORD } from '../services/agent/knowledge.ts';
import { fixedClock } from '../services/core/clock.ts';
import { runJob } from '../services/jobs/runtime.ts';
import { createLogger } from '../services/core/logger.ts';
import { testConfig } from '../services/core/config.ts';
import indexJob from '../jobs/index-knowledge.ts';
import { JOBS } from '../jobs/registry.ts';
import type { Db } from '../services/core/db.ts';
import { createTestDb } from './helpers.ts';

describe('knowledge chunks', () => {
  test('~512-token windows overlap by ~50 tokens and keep the heading they start under', () => {
    const words = Array.from({ length: 1000 }, (_, i) => `w${i}`);
    const body = `# Title\n\n${words.slice(0, 500).join(' ')}\n\n## Second part\n\n${words.slice(500).join(' ')}`;
    const chunks = chunkDocument(body);
    const size = Math.floor(512 / TOKENS_PER_WORD);
    const first = chunks[0].content.split(' ');
    assert.equal(first.length, size);
    const second = chunks[1].content.split(' ');
    const overlap = first.filter((w) => second.includes(w)).length;
    assert.equal(overlap, Math.floor(50 / TOKENS_PER_WORD));
    assert.equal(chunks[0].heading, 'Title');
    assert.equal(chunks.at(-1)!.heading, 'Second part');
    assert.ok(chunks.at(-1)!.content.endsWith('w999'), 'the last words are in a chunk');
  });

  test('a document without doc_id is refused, since answers cite it', () => {
    assert.throws(() => parseDocument('---\ntitle: x\n---\nbody', 'x.md'), /doc_id/);
    assert.equal(parseDocument('---\ndoc_id: a\ntitle: A\n---\nbody').doc_id, 'a');
  });
});

describe('knowledge index and search', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const clock = fixedClock('2026-11-25T12:00:00Z');
  before(async () => ({ db, drop } = await createTestDb()));
  after(() => drop());

  test('indexing twice changes nothing the second time; an edited document alone is re-chunked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kb-'));
    cpSync(KNOWLEDGE_DIR, dir, { recursive: true });
    const shipped = readdirSync(dir).filter((f) => f.endsWith('.md')).length;
    assert.ok(shipped >= 12, 'the seven guides and the how-to section');
    const first = await indexKnowledge(db, clock, dir);
    assert.equal(first.indexed.length, shipped);
    const again = await indexKnowledge(db, clock, dir);
    assert.deepEqual(again, { indexed: [], unchanged: shipped, removed: 0 });
    writeFileSync(path.join(dir, 'payout-timing.md'), '---\ndoc_id: payout-timing\ntitle: Payout timing\n---\n# Payout timing\n\nPayouts arrive on Tuesdays, zebra.');
    const edited = await indexKnowledge(db, clock, dir);
    assert.deepEqual(edited.indexed, ['payout-timing']);
    assert.equal((await search(db, 'zebra'))[0].doc_id, 'payout-timing');
    await indexKnowledge(db, clock);
  });

  test('search ranks the document about the question first and never breaks on odd input', async () => {
    assert.equal((await search(db, 'how do I reduce chargebacks and disputes'))[0].doc_id, 'reducing-chargebacks');
    assert.equal((await search(db, 'coefficient of variation weekly revenue'))[0].doc_id, 'revenue-stability');
    assert.deepEqual(await search(db, `'"):!&|<-> or and`), []);
    const stored = await db('knowledge_chunks').count({ n: '*' }).first();
    assert.ok(Number(stored!.n) >= 7);
  });

  test('the index-knowledge job is registered and runs like any job', async () => {
    assert.ok(JOBS.includes(indexJob));
    const outcome = await runJob(indexJob, { db, clock, logger: createLogger('silent'), config: testConfig() }, 'manual');
    assert.equal(outcome.status, 'succeeded');
  });
});

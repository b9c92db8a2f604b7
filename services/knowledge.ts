import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './core/db.ts';
import type { Clock } from './core/clock.ts';

/** The markdown documents Bursar ships; each starts with `doc_id` and `title` front matter. */
export const KNOWLEDGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'knowledge');

/**
 * Chunk sizes in tokens. We have no tokenizer for every model an OpenAI-compatible
 * endpoint may serve, so tokens are estimated as words × 1.3 (English prose averages
 * about 1.3 tokens per word in BPE vocabularies): 512 tokens ≈ 394 words, 50 ≈ 38.
 */
export const CHUNK_TOKENS = 512;
export const OVERLAP_TOKENS = 50;
export const TOKENS_PER_WORD = 1.3;

export type KnowledgeDoc = { doc_id: string; title: string; body: string; hash: string };
export type Chunk = { position: number; heading: string; content: string };

/** Splits front matter from the body; throws when `doc_id` is missing, since citations need it. */
export function parseDocument(source: string, file = 'document'): KnowledgeDoc {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!m) throw new Error(`${file}: no front matter`);
  const meta = Object.fromEntries(
    m[1].split(/\r?\n/).map((line) => {
      const i = line.indexOf(':');
      return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
    }),
  );
  if (!meta.doc_id) throw new Error(`${file}: front matter has no doc_id`);
  return { doc_id: meta.doc_id, title: meta.title ?? meta.doc_id, body: m[2], hash: createHash('sha256').update(source).digest('hex') };
}

/**
 * Windows of ~CHUNK_TOKENS over the body's words, each starting OVERLAP_TOKENS before
 * the previous one ended, so a sentence cut at a boundary is whole in one of them.
 * Each chunk carries the markdown heading its first word sits under.
 */
export function chunkDocument(body: string, chunkTokens = CHUNK_TOKENS, overlapTokens = OVERLAP_TOKENS): Chunk[] {
  const words: { word: string; heading: string }[] = [];
  let heading = '';
  for (const line of body.split(/\r?\n/)) {
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1].trim();
    for (const word of line.split(/\s+/)) if (word) words.push({ word, heading });
  }
  const size = Math.max(1, Math.floor(chunkTokens / TOKENS_PER_WORD));
  const step = Math.max(1, size - Math.floor(overlapTokens / TOKENS_PER_WORD));
  const chunks: Chunk[] = [];
  for (let start = 0; start < words.length; start += step) {
    const slice = words.slice(start, start + size);
    chunks.push({ position: chunks.length, heading: slice[0].heading, content: slice.map((w) => w.word).join(' ') });
    if (start + size >= words.length) break;
  }
  return chunks;
}

export async function readDocuments(dir = KNOWLEDGE_DIR): Promise<KnowledgeDoc[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  return Promise.all(files.map(async (f) => parseDocument(await readFile(path.join(dir, f), 'utf8'), f)));
}

/**
 * Brings knowledge_chunks in line with the documents on disk: a document whose hash
 * is unchanged is left alone, a changed or new one is re-chunked, and one that is
 * gone is removed. Safe to run twice; the second run changes nothing.
 */
export async function indexDocuments(db: Db, clock: Clock, docs: KnowledgeDoc[]): Promise<{ indexed: string[]; unchanged: number; removed: number }> {
  return db.transaction(async (trx) => {
    const stored = new Map<string, string>((await trx('knowledge_documents').select('doc_id', 'content_hash')).map((r: { doc_id: string; content_hash: string }) => [r.doc_id, r.content_hash]));
    const indexed: string[] = [];
    for (const doc of docs) {
      if (stored.get(doc.doc_id) === doc.hash) continue;
      const chunks = chunkDocument(doc.body);
      await trx('knowledge_chunks').where({ doc_id: doc.doc_id }).delete();
      await trx('knowledge_documents')
        .insert({ doc_id: doc.doc_id, title: doc.title, content_hash: doc.hash, chunk_count: chunks.length, indexed_at: clock.now() })
        .onConflict('doc_id')
        .merge();
      if (chunks.length) await trx('knowledge_chunks').insert(chunks.map((c) => ({ ...c, doc_id: doc.doc_id })));
      indexed.push(doc.doc_id);
    }
    const gone = [...stored.keys()].filter((id) => !docs.some((d) => d.doc_id === id));
    if (gone.length) await trx('knowledge_documents').whereIn('doc_id', gone).delete();
    return { indexed, unchanged: docs.length - indexed.length, removed: gone.length };
  });
}

/** Reads knowledge/*.md and indexes what changed: start-up and the index-knowledge job. */
export async function indexKnowledge(db: Db, clock: Clock, dir = KNOWLEDGE_DIR) {
  return indexDocuments(db, clock, await readDocuments(dir));
}

export type KnowledgeHit = { doc_id: string; title: string; heading: string; excerpt: string; rank: number };

/** Words worth searching for: letters and digits only, so no input can break the query syntax. */
function searchTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [])].slice(0, 20);
}

/**
 * Full-text search over the chunks, best first (ts_rank_cd, headings weighted above
 * text). Terms are OR-ed: a question in plain words rarely has every word in one
 * chunk, and the ranking already prefers chunks that match more of them.
 */
export async function search(db: Db, query: string, limit = 3): Promise<KnowledgeHit[]> {
  const terms = searchTerms(query);
  if (!terms.length) return [];
  const rows = await db.raw(
    `select c.doc_id, d.title, c.heading, c.content, ts_rank_cd(c.search, q, 32) as rank
       from knowledge_chunks c join knowledge_documents d on d.doc_id = c.doc_id,
            websearch_to_tsquery('english', ?) q
      where c.search @@ q
      order by rank desc, c.doc_id, c.position
      limit ?`,
    [terms.join(' or '), limit],
  );
  return rows.rows.map((r: { doc_id: string; title: string; heading: string; content: string; rank: number }) => ({
    doc_id: r.doc_id,
    title: r.title,
    heading: r.heading,
    excerpt: excerpt(r.content, terms),
    rank: Number(r.rank),
  }));
}

/** About 60 words around the first matching term, so a tool result stays small. */
function excerpt(content: string, terms: string[]): string {
  const words = content.split(' ');
  const hit = words.findIndex((w) => terms.some((t) => w.toLowerCase().startsWith(t.slice(0, Math.max(4, t.length - 2)))));
  const start = Math.max(0, (hit === -1 ? 0 : hit) - 15);
  const text = words.slice(start, start + 60).join(' ');
  return `${start > 0 ? '… ' : ''}${text}${start + 60 < words.length ? ' …' : ''}`;
}

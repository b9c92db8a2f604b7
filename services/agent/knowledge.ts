import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Embedder } from './embeddings.ts';

/** The markdown documents Bursar ships; each starts with `doc_id` and `title` front matter. */
export const KNOWLEDGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'knowledge');

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
      await trx('knowledge_documents').insert({ doc_id: doc.doc_id, title: doc.title, content_hash: doc.hash, chunk_count: chunks.length, indexed_at: clock.now() }).onConflict('doc_id').merge();
      if (chunks.length) await trx('knowledge_chunks').insert(chunks.map((c) => ({ ...c, doc_id: doc.doc_id })));
      indexed.push(doc.doc_id);
    }
    const gone = [...stored.keys()].filter((id) => !docs.some((d) => d.doc_id === id));
    if (gone.length) await trx('knowledge_documents').whereIn('doc_id', gone).delete();
    return { indexed, unchanged: docs.length - indexed.length, removed: gone.length };
  });
}

export type IndexResult = { indexed: string[]; unchanged: number; removed: number; embedded?: number; embedding_error?: string };

/**
 * Reads knowledge/*.md and indexes what changed: start-up and the index-knowledge job.
 * With an embedder (and pgvector), the chunks without a current embedding are embedded
 * too; an endpoint that fails leaves search full-text only and is reported in
 * `embedding_error` for the caller to log, never thrown.
 */
export async function indexKnowledge(db: Db, clock: Clock, dir = KNOWLEDGE_DIR, embedder: Embedder | null = null): Promise<IndexResult> {
  const result: IndexResult = await indexDocuments(db, clock, await readDocuments(dir));
  if (!embedder) return result;
  try {
    result.embedded = await embedChunks(db, clock, embedder);
  } catch (err) {
    result.embedded = 0;
    result.embedding_error = (err as Error).message;
  }
  return result;
}

// ---- embeddings (pgvector) ----------------------------------------------------------

/**
 * True when knowledge_embeddings exists (pgvector was enabled), creating it first when
 * the extension has become available since the migration ran. The table is the one
 * migration 017 creates when pgvector is there from the start (migrations are frozen,
 * so each keeps its own text).
 */
export async function ensureVectorStore(db: Db): Promise<boolean> {
  if (await hasVectorStore(db)) return true;
  const available = await db.raw(`select 1 from pg_available_extensions where name = 'vector'`);
  if (!available.rows.length) return false;
  await db.raw('create extension if not exists vector');
  await db.raw(`create table if not exists knowledge_embeddings (
    chunk_id bigint primary key references knowledge_chunks (id) on delete cascade,
    model text not null, content_hash text not null, embedding vector not null, embedded_at timestamptz not null)`);
  return true;
}

export async function hasVectorStore(db: Db): Promise<boolean> {
  const { rows } = await db.raw(`select to_regclass('knowledge_embeddings') is not null as ok`);
  return rows[0].ok === true;
}

const embeddingText = (c: { heading: string; content: string }) => (c.heading ? `${c.heading}\n${c.content}` : c.content);
const textHash = (text: string) => createHash('sha256').update(text).digest('hex');
/** pgvector's text form of a vector. */
const vectorLiteral = (v: number[]) => `[${v.join(',')}]`;

/**
 * Embeds the chunks that have no embedding from this model of their current text (new
 * or re-chunked documents, or a new model); the rest are left alone, so re-indexing
 * costs no request. Returns how many were embedded; 0 without pgvector.
 */
export async function embedChunks(db: Db, clock: Clock, embedder: Embedder): Promise<number> {
  if (!(await ensureVectorStore(db))) return 0;
  const chunks: { id: string; heading: string; content: string; model: string | null; content_hash: string | null }[] = await db('knowledge_chunks as c')
    .leftJoin('knowledge_embeddings as e', 'e.chunk_id', 'c.id')
    .orderBy('c.id')
    .select('c.id', 'c.heading', 'c.content', 'e.model', 'e.content_hash');
  const stale = chunks.map((c) => ({ ...c, text: embeddingText(c) })).filter((c) => c.model !== embedder.model || c.content_hash !== textHash(c.text));
  if (!stale.length) return 0;
  const vectors = await embedder.embed(stale.map((c) => c.text));
  const rows = stale.map((c, i) => ({ chunk_id: c.id, model: embedder.model, content_hash: textHash(c.text), embedding: db.raw('?::vector', [vectorLiteral(vectors[i])]), embedded_at: clock.now() }));
  await db('knowledge_embeddings').insert(rows).onConflict('chunk_id').merge();
  return rows.length;
}

export type KnowledgeHit = { doc_id: string; title: string; heading: string; excerpt: string; rank: number };

/** Words worth searching for: letters and digits only, so no input can break the query syntax. */
function searchTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [])].slice(0, 20);
}

type ChunkRow = { id: string; doc_id: string; title: string; heading: string; content: string };

/** How many candidates each ranking offers the merge, and the constant of reciprocal rank fusion (Cormack et al., 2009). */
const CANDIDATES = 20;
const RRF_K = 60;
/**
 * Vector candidates farther than this cosine distance are left out: without it every
 * chunk is a candidate, and a question the guides do not cover would still get one.
 * 0.75 (similarity 0.25) sits below what OpenAI-style models give related texts.
 */
const MAX_DISTANCE = 0.75;

/**
 * The how-to section: documents about using Bursar itself, whose doc_id starts with
 * "how-to-". A question about using Bursar searches only them, so a finance guide that
 * happens to share its words is never the answer.
 */
export const HOW_TO_PREFIX = 'how-to-';
export type Section = 'how-to' | 'all';
const sectionSql = (section: Section) => (section === 'how-to' ? `and c.doc_id like '${HOW_TO_PREFIX}%'` : '');

async function textRanking(db: Db, terms: string[], section: Section): Promise<(ChunkRow & { rank: number })[]> {
  const rows = await db.raw(
    `select c.id, c.doc_id, d.title, c.heading, c.content, ts_rank_cd(c.search, q, 32) as rank
       from knowledge_chunks c join knowledge_documents d on d.doc_id = c.doc_id,
            websearch_to_tsquery('english', ?) q
      where c.search @@ q ${sectionSql(section)}
      order by rank desc, c.doc_id, c.position
      limit ?`,
    [terms.join(' or '), CANDIDATES],
  );
  return rows.rows;
}

async function vectorRanking(db: Db, embedder: Embedder, query: string, section: Section): Promise<(ChunkRow & { distance: number })[]> {
  if (!(await hasVectorStore(db))) return [];
  const [v] = await embedder.embed([query]);
  const rows = await db.raw(
    `select * from (
       select c.id, c.doc_id, d.title, c.heading, c.content, e.embedding <=> ?::vector as distance
         from knowledge_embeddings e join knowledge_chunks c on c.id = e.chunk_id join knowledge_documents d on d.doc_id = c.doc_id
        where e.model = ? ${sectionSql(section)}
        order by distance, c.doc_id, c.position
        limit ?) ranked
      where distance <= ?`,
    [vectorLiteral(v), embedder.model, CANDIDATES, MAX_DISTANCE],
  );
  return rows.rows;
}

export type SearchOptions = {
  /** With an embedder, chunks near the question in meaning are found too, merged with the text ranking. */
  embedder?: Embedder | null;
  /** Called when the embeddings endpoint fails; the search then answers from the text ranking alone. */
  onVectorError?: (err: Error) => void;
  /** `how-to` searches the how-to guides only; the default is every document. */
  section?: Section;
};

/**
 * Full-text search over the chunks (ts_rank_cd, headings weighted above text), and with
 * an embedder and pgvector, cosine distance to the question's embedding; the two
 * rankings are merged by reciprocal rank fusion (each chunk scores the sum of
 * 1/(60 + its rank) in each ranking). Text terms are OR-ed: a question in plain words
 * rarely has every word in one chunk, and the ranking already prefers chunks that
 * match more of them.
 */
export async function search(db: Db, query: string, limit = 3, opts: SearchOptions = {}): Promise<KnowledgeHit[]> {
  const terms = searchTerms(query);
  let vector: (ChunkRow & { distance: number })[] = [];
  if (opts.embedder && query.trim()) {
    try {
      vector = await vectorRanking(db, opts.embedder, query, opts.section ?? 'all');
    } catch (err) {
      if (!opts.onVectorError) throw err;
      opts.onVectorError(err as Error);
    }
  }
  const text = terms.length ? await textRanking(db, terms, opts.section ?? 'all') : [];
  const merged = new Map<string, { row: ChunkRow; score: number }>();
  const add = (rows: ChunkRow[]) =>
    rows.forEach((row, i) => {
      const entry = merged.get(row.id) ?? { row, score: 0 };
      entry.score += 1 / (RRF_K + i + 1);
      merged.set(row.id, entry);
    });
  add(text);
  add(vector);
  return [...merged.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map(({ row, score }) => ({ doc_id: row.doc_id, title: row.title, heading: row.heading, excerpt: excerpt(row.content, terms), rank: Math.round(score * 1e6) / 1e6 }));
}

/**
 * About 60 words around the first matching term, so a tool result stays small, as
 * plain text: a chunk is markdown with its line breaks gone, and a heading mark, a
 * table's pipes or half of a bold pair cut at the window's edge would show as raw
 * markdown in an answer.
 */
function excerpt(content: string, terms: string[]): string {
  const words = plainText(content).split(' ');
  // The window with the most of the question's words: "how do I undo a deleted expense"
  // should quote the part about undoing, not the document's first lines (where "how" is).
  const meaningful = terms.filter((t) => !QUESTION_WORDS.has(t));
  const stems = (meaningful.length ? meaningful : terms).map((t) => t.slice(0, Math.max(4, t.length - 2)));
  const stemOf = (w: string) => stems.findIndex((s) => w.toLowerCase().startsWith(s));
  const hits = words.flatMap((w, i) => (stemOf(w) >= 0 ? [{ i, stem: stemOf(w) }] : []));
  // Scored by how many different words of the question a window holds, then by how many hits.
  let hit = hits[0]?.i ?? 0;
  let best = 0;
  for (const h of hits) {
    const inside = hits.filter((x) => x.i >= h.i && x.i < h.i + 45);
    const score = new Set(inside.map((x) => x.stem)).size * 1000 + inside.length;
    if (score > best) [hit, best] = [h.i, score];
  }
  const start = Math.max(0, hit - 15);
  const text = words.slice(start, start + 60).join(' ');
  return `${start > 0 ? '… ' : ''}${text}${start + 60 < words.length ? ' …' : ''}`;
}

/** Words of a question that say what kind of question it is, not what it is about. */
const QUESTION_WORDS = new Set([
  'how',
  'what',
  'where',
  'when',
  'why',
  'which',
  'who',
  'can',
  'could',
  'should',
  'would',
  'does',
  'did',
  'the',
  'and',
  'for',
  'with',
  'you',
  'your',
  'our',
  'are',
  'was',
  'were',
  'there',
  'this',
  'that',
]);

/** Markdown as the words a person reads: links as their text, no heading marks, emphasis, code ticks, list bullets or table rules. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(^|\s)#{1,6}(?=\s)/g, '$1')
    .replace(/\*\*|__|`+/g, '')
    .replace(/(^|\s)[*_](\S[^*_]*\S|\S)[*_](?=[\s.,;:!?]|$)/g, '$1$2')
    .replace(/(^|\s)(?:[-*+]|\d+\.)(?=\s)/g, '$1')
    .replace(/\|?\s*:?-{3,}:?\s*(?=\||\s|$)/g, ' ')
    .replace(/\s*\|\s*/g, ' · ')
    .replace(/(?:\s*·\s*)+/g, ' · ')
    .replace(/\s+/g, ' ')
    .replace(/^\s*·\s*|\s*·\s*$/g, '')
    .trim();
}

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingsRepository } from '../../src/modules/documents/index.ts';
import { createSearchRepository } from '../../src/modules/search/index.ts';
import { ensureVectorIndex } from '../../src/platform/db/vector-index.ts';
import type { SearchScope } from '../../src/modules/search/search.repository.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Which indexes the planner really picks for the search statement (EXPLAIN of the repository's own SQL), on
// a library big enough for the choice to mean something. Rows are written directly in the shape ingestion
// writes them: ready documents with tags, chunks (tsv generated), and several window vectors per chunk.
let t: TestApp;
let repo: ReturnType<typeof createSearchRepository>;
let spaceId: number | undefined;

const DIMS = 100;
const CHUNKS_PER_DOCUMENT = 5;
/** Ingestion's density: the local embedder stores a vector per ~50-word window, ~20 per chunk. */
const WINDOWS_PER_CHUNK = 20;
/** Every chunk has the common term; one chunk in this many has the rare one. */
const COMMON = 'handbook';
const RARE = 'periwinkle';
const RARE_EVERY = 50;
const VOCABULARY = Array.from({ length: 400 }, (_, i) => `word${i.toString(36)}`);

/** One user's large library (most of the space), a few small ones, and one user with a few documents. */
const library = { owner: randomUUID(), documents: 100 };
const others = { owners: 20, documentsEach: 2 };
const few = { owner: randomUUID(), tagged: [] as string[], untagged: [] as string[] };

let seed = 7;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
}
const randomVector = () => Array.from({ length: DIMS }, () => random() - 0.5);
let chunkCount = 0;
/** About 500 words, the length of an ingested chunk (~800 tokens). */
function chunkText(): string {
  const words = Array.from({ length: 500 }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]!);
  words[0] = COMMON;
  if (++chunkCount % RARE_EVERY === 0) words[250] = RARE;
  return words.join(' ');
}

async function addDocument(ownerId: string, tags: string[]): Promise<{ id: string; rare: number }> {
  const db = t.deps.database.db;
  const id = randomUUID();
  await sql`
    insert into documents (id, owner_id, kind, title, mime, byte_size, sha256, blob_key, status, chunk_count, embedding)
    values (${id}, ${ownerId}, 'document', 'Handbook', 'text/markdown', 20000, ${randomUUID()}, ${`documents/${id}`},
      'ready', ${CHUNKS_PER_DOCUMENT}, ${spaceId ? 'done' : 'skipped'})
  `.execute(db);
  if (tags.length > 0) {
    await sql`insert into document_tags (document_id, tag) values ${sql.join(tags.map((tag) => sql`(${id}, ${tag})`))}`.execute(
      db,
    );
  }
  const chunks = Array.from({ length: CHUNKS_PER_DOCUMENT }, (_, ord) => ({
    id: randomUUID(),
    ord,
    text: chunkText(),
  }));
  await sql`
    insert into chunks (id, document_id, ord, page_from, page_to, char_start, char_end, text, text_sha256)
    values ${sql.join(chunks.map((c) => sql`(${c.id}, ${id}, ${c.ord}, ${c.ord + 1}, ${c.ord + 1}, 0, ${c.text.length}, ${c.text}, ${randomUUID()})`))}
  `.execute(db);
  if (spaceId) {
    const vectors = chunks.flatMap((c) =>
      Array.from(
        { length: WINDOWS_PER_CHUNK },
        (_, w) => sql`(${c.id}, ${spaceId}, ${w}, ${`[${randomVector().join(',')}]`})`,
      ),
    );
    await sql`insert into chunk_embeddings (chunk_id, space_id, window_ord, embedding) values ${sql.join(vectors)}`.execute(
      db,
    );
  }
  return { id, rare: chunks.filter((c) => c.text.includes(RARE)).length };
}

let libraryRareChunks = 0;
beforeAll(async () => {
  t = await createTestApp();
  repo = createSearchRepository(t.deps.database);
  // The space comes from ingestion's own path; its HNSW index (same DDL) is built once the rows are in, which
  // is several times faster than growing it row by row.
  if (t.deps.vector.enabled) {
    spaceId = await createEmbeddingsRepository(t.deps.database).ensureSpace('plan-test', DIMS);
    await sql.raw(`drop index chunk_embeddings_space_${spaceId}_hnsw`).execute(t.deps.database.db);
  }
  for (let d = 0; d < library.documents; d++) {
    const added = await addDocument(library.owner, ['handbook']);
    libraryRareChunks += added.rare;
  }
  for (let o = 0; o < others.owners; o++) {
    const owner = randomUUID();
    for (let d = 0; d < others.documentsEach; d++) await addDocument(owner, ['handbook']);
  }
  few.tagged.push((await addDocument(few.owner, ['handbook', 'mine'])).id);
  few.untagged.push((await addDocument(few.owner, [])).id, (await addDocument(few.owner, [])).id);
  if (spaceId) await ensureVectorIndex(t.deps.database, spaceId, DIMS);
  // What autovacuum leaves behind on PostgreSQL: statistics, and GIN's pending list merged into the index.
  await sql`vacuum analyze`.execute(t.deps.database.db);
}, 600_000);
afterAll(() => t.close());

function searchQuery(mode: 'hybrid' | 'vector' | 'text', limit: number, text = RARE) {
  return {
    text,
    mode,
    vector: spaceId ? { spaceId, dims: DIMS, values: randomVector() } : undefined,
    limit,
    candidates: Math.max(50, limit),
    rrf: { k: 60, vectorWeight: 1, textWeight: 1 },
    efSearch: 40,
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every scan in the plan as "<node type> <index or table>", e.g. "Index Scan chunk_embeddings_space_1_hnsw". */
async function scansOf(scope: SearchScope, query: ReturnType<typeof searchQuery>) {
  const [root] = (await repo.explain(scope, query)) as [{ Plan: PlanNode }];
  const scans: string[] = [];
  const walk = (node: PlanNode) => {
    if (node['Node Type'].endsWith('Scan')) {
      scans.push(`${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''}`.trim());
    }
    node.Plans?.forEach(walk);
  };
  walk(root.Plan);
  return scans;
}

const hnsw = () => `Index Scan chunk_embeddings_space_${spaceId}_hnsw`;

describe('search plan', () => {
  it('takes a large library’s vector candidates from the space’s HNSW index, with a tag filter too, and fills the page', async () => {
    for (const scope of [{ ownerId: library.owner }, { ownerId: library.owner, tags: ['handbook'] }]) {
      for (const mode of spaceId ? (['hybrid', 'vector'] as const) : (['hybrid'] as const)) {
        const scans = await scansOf(scope, searchQuery(mode, 50));
        const hits = await repo.search(scope, searchQuery(mode, 50));
        if (spaceId) {
          expect(scans, `${mode} ${JSON.stringify(scope)}`).toContain(hnsw());
          expect(scans).not.toContain('Seq Scan chunk_embeddings');
          expect(hits).toHaveLength(50);
          // 50 vector hits while ef_search is 40: only an iterative index scan gets past the first 40 windows.
          if (mode === 'vector') expect(hits.every((h) => h.vector_rank !== null)).toBe(true);
        } else {
          // No pgvector here: hybrid answers from the text list alone, which comes from the GIN index.
          expect(scans, JSON.stringify(scope)).toContain('Bitmap Index Scan chunks_tsv_idx');
          expect(hits.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('takes the text candidates from the GIN index on chunks.tsv', async () => {
    const scope = { ownerId: library.owner };
    const scans = await scansOf(scope, searchQuery('text', 50));
    expect(scans).toContain('Bitmap Index Scan chunks_tsv_idx');
    const hits = await repo.search(scope, searchQuery('text', 50));
    // Every chunk of the library that has the term, and nothing else.
    expect(hits).toHaveLength(libraryRareChunks);
    expect(hits.every((h) => h.text_rank !== null && h.snippet.includes(`<mark>${RARE}</mark>`))).toBe(true);
  });

  it('searches a user with a few documents among many through their own chunks, never a scan of every vector', async () => {
    const cases: [SearchScope, string[]][] = [
      [{ ownerId: few.owner }, [...few.tagged, ...few.untagged]],
      [{ ownerId: few.owner, tags: ['mine'] }, few.tagged],
    ];
    for (const [scope, visible] of cases) {
      const limit = visible.length * CHUNKS_PER_DOCUMENT;
      for (const mode of spaceId ? (['hybrid', 'vector'] as const) : (['hybrid', 'text'] as const)) {
        const scans = await scansOf(scope, searchQuery(mode, limit, COMMON));
        expect(scans, `${mode} ${JSON.stringify(scope)}`).toContain(
          'Bitmap Index Scan chunks_document_ord_key',
        );
        if (spaceId) {
          // Exact distances over the user's own windows: cheaper than walking a graph of everyone's vectors
          // (an iterative index scan would walk past dozens of other windows for each of theirs).
          expect(scans).toContain('Index Scan chunk_embeddings_pkey');
          expect(scans).not.toContain(hnsw());
          expect(scans).not.toContain('Seq Scan chunk_embeddings');
        }
        const hits = await repo.search(scope, searchQuery(mode, limit, COMMON));
        expect(hits).toHaveLength(limit);
        expect(hits.every((h) => visible.includes(h.document_id))).toBe(true);
      }
    }
  });
});

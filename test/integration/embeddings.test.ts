import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Embedding spaces, their HNSW index, and identical chunk text never embedded twice (PGlite has pgvector;
// the PostgreSQL 15 here has none, so there the stage ends `skipped`).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
});
afterAll(() => t.close());

const paragraph = (i: number) =>
  `Section ${i}. The harbour pilots guide every vessel through the channel at dawn, reading the tide tables, ` +
  `the wind and the depth of the water before they let the ship turn towards the quay number ${i}.`;
const body = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => paragraph(from + i)).join('\n\n');

describe('embeddings', () => {
  it('creates the active space with its HNSW index and reuses vectors of identical chunk text', async () => {
    const user = await registerUser(t);
    if (!t.deps.vector.enabled) {
      const skipped = await upload(t, user.token, { fileName: 'a.txt', data: body(0, 60) });
      expect(await settle(t, user.token, skipped.json<UploadedDocument>().id)).toMatchObject({
        status: 'ready',
        embedding: 'skipped',
      });
      expect(t.deps.embedder).toBeUndefined();
      return;
    }
    // Watched from before the first upload: every text the embedder is asked for.
    const embed = vi.spyOn(t.deps.embedder!, 'embed');
    const first = await upload(t, user.token, { fileName: 'a.txt', data: body(0, 60) });
    const a = await settle(t, user.token, first.json<UploadedDocument>().id);
    expect(a.status).toBe('ready');
    expect(a.embedding).toBe('done');
    expect(embed).toHaveBeenCalled();
    const spaces = await t.deps.database.db.selectFrom('embedding_spaces').selectAll().execute();
    expect(spaces).toEqual([
      expect.objectContaining({
        model: t.deps.embedder!.model,
        dims: t.deps.embedder!.dimensions,
        active: true,
      }),
    ]);
    const { rows } = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where indexname = ${`chunk_embeddings_space_${spaces[0]!.id}_hnsw`}
    `.execute(t.deps.database.db);
    expect(rows[0]?.indexdef).toMatch(/USING hnsw .*vector_cosine_ops.*WHERE \(space_id = \d+\)/);

    // The same text plus a new ending: the shared chunks take their vectors from the first document.
    const textsBefore = embed.mock.calls.flatMap((call) => call[0]).length;
    const second = await upload(t, user.token, {
      fileName: 'b.txt',
      data: `${body(0, 60)}\n\n${body(60, 75)}`,
    });
    const b = await settle(t, user.token, second.json<UploadedDocument>().id);
    expect(b.status).toBe('ready');
    const chunkRows = await t.deps.database.db
      .selectFrom('chunks')
      .select(['document_id', 'text_sha256'])
      .where('document_id', 'in', [a.id, b.id])
      .execute();
    const aHashes = new Set(chunkRows.filter((c) => c.document_id === a.id).map((c) => c.text_sha256));
    const shared = chunkRows.filter((c) => c.document_id === b.id && aHashes.has(c.text_sha256)).length;
    expect(shared).toBeGreaterThan(0);
    const embeddedTexts = embed.mock.calls.flatMap((call) => call[0]).slice(textsBefore);
    const windowsPerChunk = (
      await t.deps.database.db
        .selectFrom('chunk_embeddings as e')
        .innerJoin('chunks as c', 'c.id', 'e.chunk_id')
        .select(['c.document_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('c.document_id', '=', b.id)
        .groupBy('c.document_id')
        .executeTakeFirstOrThrow()
    ).n;
    // Every chunk of b has vectors, but only the new chunks' windows went to the embedder.
    expect(embeddedTexts.length).toBeGreaterThan(0);
    expect(embeddedTexts.length).toBeLessThan(Number(windowsPerChunk));
    const missing = await t.deps.database.db
      .selectFrom('chunks as c')
      .select('c.id')
      .where('c.document_id', '=', b.id)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('chunk_embeddings as e').select('e.chunk_id').whereRef('e.chunk_id', '=', 'c.id'),
          ),
        ),
      )
      .execute();
    expect(missing).toEqual([]);
  });
});

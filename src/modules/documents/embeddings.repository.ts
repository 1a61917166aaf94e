import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import { ensureVectorIndex } from '../../platform/db/vector-index.ts';

/** Embedding spaces and chunk vectors (pgvector); only used where vector search is enabled. */
export function createEmbeddingsRepository(database: Pick<Database, 'executor' | 'engine' | 'db'>) {
  const q = () => database.executor();

  return {
    /**
     * The active space's id; when no space is active yet (the first embedding ever), this model's space is
     * created active, with its index built while it is empty.
     */
    async ensureSpace(model: string, dims: number): Promise<number> {
      const active = () =>
        q()
          .selectFrom('embedding_spaces')
          .select(['id', 'dims'])
          .where('active', '=', true)
          .executeTakeFirst();
      const found = await active();
      if (found) return found.id;
      // Another process may activate one first: the one-active index turns this insert into a no-op.
      await sql`
        insert into embedding_spaces (model, dims, state, activated_at)
        values (${model}, ${dims}, 'active', now())
        on conflict do nothing
      `.execute(q());
      const space = await active();
      if (!space) throw new Error('No active embedding space after creating one');
      await ensureVectorIndex(database, space.id, space.dims);
      return space.id;
    },

    /** The document's chunks without vectors in this space, in order. */
    pendingChunks(documentId: string, spaceId: number, limit: number) {
      return q()
        .selectFrom('chunks as c')
        .select(['c.id', 'c.text', 'c.text_sha256'])
        .where('c.document_id', '=', documentId)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('chunk_embeddings as e')
                .select(sql.lit(1).as('one'))
                .whereRef('e.chunk_id', '=', 'c.id')
                .where('e.space_id', '=', spaceId),
            ),
          ),
        )
        .orderBy('c.ord')
        .limit(limit)
        .execute();
    },

    /**
     * Copies the vectors of another chunk with identical text (same space) to these chunks, in one statement;
     * the ids of chunks that got vectors this way. Identical text is never embedded twice.
     */
    async reuseByTextHash(spaceId: number, chunkIds: string[]): Promise<Set<string>> {
      if (chunkIds.length === 0) return new Set();
      const { rows } = await sql<{ chunk_id: string }>`
        insert into chunk_embeddings (chunk_id, space_id, window_ord, embedding)
        select c.id, e.space_id, e.window_ord, e.embedding
        from chunks c
        cross join lateral (
          select o.id from chunks o
          where o.text_sha256 = c.text_sha256 and o.id <> c.id
            and exists (select 1 from chunk_embeddings x where x.chunk_id = o.id and x.space_id = ${spaceId})
          limit 1
        ) source
        join chunk_embeddings e on e.chunk_id = source.id and e.space_id = ${spaceId}
        where c.id in (${sql.join(chunkIds)})
        on conflict do nothing
        returning chunk_id
      `.execute(q());
      return new Set(rows.map((r) => r.chunk_id));
    },

    async insert(
      spaceId: number,
      rows: { chunkId: string; windowOrd: number; vector: number[] }[],
    ): Promise<void> {
      if (rows.length === 0) return;
      await q()
        .insertInto('chunk_embeddings')
        .values(
          rows.map((r) => ({
            chunk_id: r.chunkId,
            space_id: spaceId,
            window_ord: r.windowOrd,
            embedding: `[${r.vector.join(',')}]`,
          })),
        )
        .onConflict((oc) => oc.columns(['chunk_id', 'space_id', 'window_ord']).doNothing())
        .execute();
    },
  };
}

export type EmbeddingsRepository = ReturnType<typeof createEmbeddingsRepository>;

import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { EmbeddingSpaceState } from '../../platform/db/tables.ts';

export interface SpaceRow {
  id: number;
  model: string;
  dims: number;
  state: EmbeddingSpaceState;
  error: string | null;
  reembed_cursor: string | null;
  embedded_chunks: number;
  created_at: Date;
  activated_at: Date | null;
}

const COLUMNS = [
  'id',
  'model',
  'dims',
  'state',
  'error',
  'reembed_cursor',
  'embedded_chunks',
  'created_at',
  'activated_at',
] as const;

/** A chunk whose text has no vector in the space yet. */
const missingIn = (spaceId: number) => sql<boolean>`not exists (
  select 1 from chunk_embeddings e where e.chunk_id = c.id and e.space_id = ${spaceId}
)`;

/** The lifecycle of embedding spaces (building → active → retired, or failed) and the re-embed's SQL. */
export function createSpacesRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();

  return {
    list(): Promise<SpaceRow[]> {
      return q().selectFrom('embedding_spaces').select(COLUMNS).orderBy('id').execute();
    },

    find(id: number): Promise<SpaceRow | undefined> {
      return q().selectFrom('embedding_spaces').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    },

    inState(state: EmbeddingSpaceState): Promise<SpaceRow[]> {
      return q()
        .selectFrom('embedding_spaces')
        .select(COLUMNS)
        .where('state', '=', state)
        .orderBy('id')
        .execute();
    },

    /** The new building space; undefined when one is building already (one at a time, by a unique index). */
    async createBuilding(model: string, dims: number): Promise<SpaceRow | undefined> {
      const { rows } = await sql<{ id: number }>`
        insert into embedding_spaces (model, dims, state) values (${model}, ${dims}, 'building')
        on conflict do nothing
        returning id
      `.execute(q());
      return rows[0] ? this.find(rows[0].id) : undefined;
    },

    /** Locks a building space for the flip; undefined when it is not building any more. */
    lockBuilding(id: number) {
      return q()
        .selectFrom('embedding_spaces')
        .select(['id'])
        .where('id', '=', id)
        .where('state', '=', 'building')
        .forUpdate()
        .executeTakeFirst();
    },

    async chunkCount(): Promise<number> {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from chunks`.execute(q());
      return rows[0]!.n;
    },

    /** The next chunks after `cursor` (all, without one) that have no vector in the space, in id order. */
    chunksToEmbed(spaceId: number, cursor: string | null, limit: number) {
      return q()
        .selectFrom('chunks as c')
        .select(['c.id', 'c.text'])
        .$if(cursor !== null, (qb) => qb.where('c.id', '>', cursor!))
        .where(missingIn(spaceId))
        .orderBy('c.id')
        .limit(limit)
        .execute();
    },

    async hasMissingChunks(spaceId: number): Promise<boolean> {
      const { rows } = await sql<{ missing: boolean }>`
        select exists (select 1 from chunks c where ${missingIn(spaceId)}) as missing
      `.execute(q());
      return rows[0]!.missing;
    },

    /** Moves the keyset cursor forward; false when the space stopped building (nothing to record then). */
    async recordProgress(id: number, cursor: string, embedded: number): Promise<boolean> {
      const result = await q()
        .updateTable('embedding_spaces')
        .set((eb) => ({
          reembed_cursor: cursor,
          embedded_chunks: eb('embedded_chunks', '+', embedded),
        }))
        .where('id', '=', id)
        .where('state', '=', 'building')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Retires the active space (if any) and activates this one; call inside a transaction. */
    async flip(id: number, embedded: number): Promise<number | undefined> {
      const retired = await q()
        .updateTable('embedding_spaces')
        .set({ state: 'retired', retired_at: new Date() })
        .where('state', '=', 'active')
        .returning('id')
        .executeTakeFirst();
      await q()
        .updateTable('embedding_spaces')
        .set({ state: 'active', activated_at: new Date(), embedded_chunks: embedded, error: null })
        .where('id', '=', id)
        .execute();
      return retired?.id;
    },

    async fail(id: number, error: string): Promise<boolean> {
      const result = await q()
        .updateTable('embedding_spaces')
        .set({ state: 'failed', error, retired_at: new Date() })
        .where('id', '=', id)
        .where('state', '=', 'building')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Retired and failed spaces whose grace period is over: their vectors and index can go. */
    async droppable(olderThan: Date): Promise<number[]> {
      const rows = await q()
        .selectFrom('embedding_spaces')
        .select('id')
        .where('state', 'in', ['retired', 'failed'])
        .where('retired_at', '<=', olderThan)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Deletes up to `limit` vectors of a space; how many went. */
    async deleteVectors(spaceId: number, limit: number): Promise<number> {
      const result = await sql`
        delete from chunk_embeddings
        where space_id = ${spaceId} and (chunk_id, window_ord) in (
          select chunk_id, window_ord from chunk_embeddings where space_id = ${spaceId} limit ${limit}
        )
      `.execute(q());
      return Number(result.numAffectedRows ?? 0);
    },

    async deleteSpace(id: number): Promise<void> {
      await q()
        .deleteFrom('embedding_spaces')
        .where('id', '=', id)
        .where('state', 'in', ['retired', 'failed'])
        .execute();
    },
  };
}

export type SpacesRepository = ReturnType<typeof createSpacesRepository>;

import { sql, type Insertable } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { ChunksTable, DocumentStatus } from '../../platform/db/tables.ts';

const ACTIVE_STATUSES: DocumentStatus[] = ['queued', 'extracting', 'embedding', 'summarizing'];

/**
 * The ingestion pipeline's SQL. Every write that moves a document is a compare-and-set on its status and
 * generation: a stale or duplicate job finds nothing to update and skips.
 */
export function createPipelineRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  const current = (id: string, generation: number) =>
    q().updateTable('documents').where('id', '=', id).where('generation', '=', generation);
  const returned = [
    'id',
    'owner_id',
    'title',
    'mime',
    'blob_key',
    'status',
    'stage_progress',
    'error',
    'page_count',
    'chunk_count',
  ] as const;

  return {
    /** Moves the document from one of `from` to `to` (progress back to 0); undefined when stale. */
    advance(
      id: string,
      generation: number,
      from: DocumentStatus[],
      to: DocumentStatus,
      extra: { chunk_count?: number; embedding?: 'done' | 'skipped'; stage_progress?: number } = {},
    ) {
      const now = new Date();
      return current(id, generation)
        .where('status', 'in', from)
        .set({
          status: to,
          stage_progress: sql`case when status = ${to} then stage_progress else 0 end`,
          heartbeat_at: now,
          updated_at: now,
          ...extra,
        })
        .returning(returned)
        .executeTakeFirst();
    },

    /** Proves the job is alive and still current; false when it is stale and should stop. */
    async beat(id: string, generation: number, status: DocumentStatus, progress?: number): Promise<boolean> {
      const result = await current(id, generation)
        .where('status', '=', status)
        .set({ heartbeat_at: new Date(), ...(progress === undefined ? {} : { stage_progress: progress }) })
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    setPageCount(id: string, generation: number, pageCount: number) {
      return current(id, generation)
        .where('status', '=', 'extracting')
        .set({ page_count: pageCount, heartbeat_at: new Date() })
        .executeTakeFirst();
    },

    /**
     * Takes the document's row lock for a page-range write (so two ranges finishing together count each
     * other's pages) and returns its page count; undefined when stale.
     */
    lockForPages(id: string, generation: number) {
      return current(id, generation)
        .where('status', '=', 'extracting')
        .set({ heartbeat_at: new Date() })
        .returning(['page_count', 'owner_id'])
        .executeTakeFirst();
    },

    async insertPages(id: string, pages: { page: number; text: string }[]): Promise<void> {
      if (pages.length === 0) return;
      await q()
        .insertInto('document_pages')
        .values(pages.map((p) => ({ document_id: id, page: p.page, text: p.text })))
        .onConflict((oc) => oc.columns(['document_id', 'page']).doNothing())
        .execute();
    },

    async recordPagesDone(id: string, pageCount: number): Promise<number> {
      const row = await q()
        .updateTable('documents')
        .set({
          pages_done: sql`(select count(*) from document_pages where document_id = ${id})`,
          stage_progress: sql`(select count(*) from document_pages where document_id = ${id})::real / ${pageCount}`,
        })
        .where('id', '=', id)
        .returning('pages_done')
        .executeTakeFirstOrThrow();
      return row.pages_done;
    },

    async storedPageNumbers(id: string): Promise<number[]> {
      const rows = await q()
        .selectFrom('document_pages')
        .select('page')
        .where('document_id', '=', id)
        .execute();
      return rows.map((r) => r.page);
    },

    loadPages(id: string) {
      return q()
        .selectFrom('document_pages')
        .select(['page', 'text'])
        .where('document_id', '=', id)
        .orderBy('page')
        .execute();
    },

    async deletePages(id: string): Promise<void> {
      await q().deleteFrom('document_pages').where('document_id', '=', id).execute();
    },

    async deleteChunks(id: string): Promise<void> {
      await q().deleteFrom('chunks').where('document_id', '=', id).execute();
    },

    async insertChunks(rows: Insertable<ChunksTable>[]): Promise<void> {
      if (rows.length === 0) return;
      await q()
        .insertInto('chunks')
        .values(rows)
        .onConflict((oc) => oc.columns(['document_id', 'ord']).doNothing())
        .execute();
    },

    chunkTexts(id: string) {
      return q()
        .selectFrom('chunks')
        .select(['ord', 'page_from', 'char_start', 'char_end', 'text'])
        .where('document_id', '=', id)
        .orderBy('ord')
        .execute();
    },

    findSummaryInput(id: string) {
      return q()
        .selectFrom('summaries')
        .select(['input_sha256'])
        .where('document_id', '=', id)
        .where('kind', '=', 'document')
        .executeTakeFirst();
    },

    async upsertSummary(summary: {
      documentId: string;
      text: string;
      model: string;
      method: 'extractive' | 'llm';
      note: string | null;
      inputSha256: string;
    }): Promise<void> {
      const values = {
        text: summary.text,
        model: summary.model,
        method: summary.method,
        note: summary.note,
        input_sha256: summary.inputSha256,
      };
      await q()
        .insertInto('summaries')
        .values({ document_id: summary.documentId, kind: 'document', ...values })
        .onConflict((oc) => oc.columns(['document_id', 'kind']).doUpdateSet(values))
        .execute();
    },

    /** Ends the document as failed unless it already ended; undefined when stale or already terminal. */
    fail(id: string, generation: number, error: string) {
      return current(id, generation)
        .where('status', 'in', ACTIVE_STATUSES)
        .set({ status: 'failed', error, updated_at: new Date() })
        .returning(['id', 'owner_id'])
        .executeTakeFirst();
    },

    /** Active documents whose heartbeat stopped before `before` (their job was lost). */
    stalled(before: Date, limit: number) {
      return q()
        .selectFrom('documents')
        .select(['id', 'generation', 'status'])
        .where('status', 'in', ACTIVE_STATUSES)
        .where('heartbeat_at', '<', before)
        .orderBy('heartbeat_at')
        .limit(limit)
        .execute();
    },

    /** A new generation for a stalled document: jobs of the old one skip from now on. */
    revive(id: string, generation: number) {
      return current(id, generation)
        .where('status', 'in', ACTIVE_STATUSES)
        .set({ generation: sql`generation + 1`, heartbeat_at: new Date() })
        .returning(['generation', 'status'])
        .executeTakeFirst();
    },

    /** Starts a finished document over, as a new generation; undefined while it is still processing. */
    restart(ownerId: string, id: string) {
      const now = new Date();
      return q()
        .updateTable('documents')
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .where('status', 'in', ['ready', 'failed'])
        .set({
          status: 'queued',
          generation: sql`generation + 1`,
          stage_progress: 0,
          error: null,
          pages_done: 0,
          embedding: null,
          heartbeat_at: now,
          updated_at: now,
        })
        .returning(['generation'])
        .executeTakeFirst();
    },
  };
}

export type PipelineRepository = ReturnType<typeof createPipelineRepository>;

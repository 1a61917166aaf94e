import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';

/** The full-text index of `chunks` as migration 0004 creates it; the bulk load drops it and builds it after. */
const TEXT_INDEX = 'chunks_tsv_idx';

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters, and short enough for PGlite's one session. */
const ROWS_PER_STATEMENT = 500;

export interface BulkDocumentRow {
  id: string;
  ownerId: string;
  title: string;
  fileName: string;
  byteSize: number;
  sha256: string;
  blobKey: string;
  chunkCount: number;
  embedding: 'done' | 'skipped';
  createdAt: Date;
}

/**
 * Bulk writes of the seed's corpus: ready documents with their tags, chunks, summary and storage usage, as the
 * ingestion pipeline leaves them, plus the DDL that takes the chunk indexes away during the load. Only the seed
 * uses it; the API writes through the documents module.
 */
export function createBulkCorpusRepository(database: Pick<Database, 'executor' | 'engine'>) {
  const db = () => database.executor();
  const indexExists = async (name: string): Promise<boolean> => {
    const { rows } = await sql<{ found: boolean }>`
      select exists (select 1 from pg_indexes where indexname = ${name}) as found
    `.execute(db());
    return rows[0]?.found === true;
  };
  const inBatches = async <T>(rows: T[], write: (batch: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
      await write(rows.slice(i, i + ROWS_PER_STATEMENT));
  };

  return {
    async existingIds(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db().selectFrom('documents').select('id').where('id', 'in', ids).execute();
      return new Set(rows.map((r) => r.id));
    },

    async chunkCount(): Promise<number> {
      const row = await db()
        .selectFrom('chunks')
        .select(sql<number>`count(*)::int`.as('count'))
        .executeTakeFirstOrThrow();
      return row.count;
    },

    /** Ready documents; the ids of those that were new (an owner's same bytes already stored are left alone). */
    async insertDocuments(rows: BulkDocumentRow[]): Promise<Set<string>> {
      if (rows.length === 0) return new Set();
      const inserted = await db()
        .insertInto('documents')
        .values(
          rows.map((r) => ({
            id: r.id,
            owner_id: r.ownerId,
            kind: 'document' as const,
            title: r.title,
            file_name: r.fileName,
            mime: 'text/plain',
            byte_size: r.byteSize,
            sha256: r.sha256,
            blob_key: r.blobKey,
            status: 'ready' as const,
            stage_progress: 1,
            page_count: 1,
            pages_done: 1,
            chunk_count: r.chunkCount,
            embedding: r.embedding,
            heartbeat_at: r.createdAt,
            created_at: r.createdAt,
            updated_at: r.createdAt,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      return new Set(inserted.map((r) => r.id));
    },

    async insertTags(rows: { documentId: string; tag: string }[]): Promise<void> {
      await inBatches(rows, (batch) =>
        db()
          .insertInto('document_tags')
          .values(batch.map((r) => ({ document_id: r.documentId, tag: r.tag })))
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    },

    async insertChunks(
      rows: {
        id: string;
        documentId: string;
        ord: number;
        charStart: number;
        charEnd: number;
        text: string;
        textSha256: string;
      }[],
    ): Promise<void> {
      await inBatches(rows, (batch) =>
        db()
          .insertInto('chunks')
          .values(
            batch.map((r) => ({
              id: r.id,
              document_id: r.documentId,
              ord: r.ord,
              page_from: 1,
              page_to: 1,
              char_start: r.charStart,
              char_end: r.charEnd,
              text: r.text,
              text_sha256: r.textSha256,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    },

    async insertSummaries(
      rows: { documentId: string; text: string; model: string; note: string | null; inputSha256: string }[],
    ): Promise<void> {
      await inBatches(rows, (batch) =>
        db()
          .insertInto('summaries')
          .values(
            batch.map((r) => ({
              document_id: r.documentId,
              kind: 'document',
              text: r.text,
              model: r.model,
              method: 'extractive' as const,
              note: r.note,
              input_sha256: r.inputSha256,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    },

    /** Counts the owner's new files against their storage quota, as an upload does. */
    async addStorageUsage(ownerId: string, bytes: number): Promise<void> {
      await db()
        .insertInto('storage_usage')
        .values({ owner_id: ownerId, bytes })
        .onConflict((oc) =>
          oc.column('owner_id').doUpdateSet({ bytes: sql`storage_usage.bytes + excluded.bytes` }),
        )
        .execute();
    },

    indexExists,

    textIndexExists: () => indexExists(TEXT_INDEX),

    async dropTextIndex(): Promise<void> {
      await sql.raw(`drop index if exists ${TEXT_INDEX}`).execute(db());
    },

    /** The same definition as migration 0004's. */
    async createTextIndex(): Promise<void> {
      await sql.raw(`create index if not exists ${TEXT_INDEX} on chunks using gin (tsv)`).execute(db());
    },

    /**
     * Gives PGlite's session room to build an index in memory (its default spills a 100k-row HNSW graph to disk
     * halfway through); undone by `resetBuildMemory`. PostgreSQL keeps its own configuration.
     */
    async raiseBuildMemory(): Promise<void> {
      if (database.engine === 'pglite') await sql.raw(`set maintenance_work_mem = '512MB'`).execute(db());
    },

    async resetBuildMemory(): Promise<void> {
      if (database.engine === 'pglite') await sql.raw('reset maintenance_work_mem').execute(db());
    },
  };
}

export type BulkCorpusRepository = ReturnType<typeof createBulkCorpusRepository>;

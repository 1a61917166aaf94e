import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { DocumentStatus } from '../../platform/db/tables.ts';
import type { Cursor } from '../../platform/pagination.ts';

export type DocumentKind = 'document' | 'story';

export interface DocumentFilters {
  kind?: DocumentKind;
  status?: DocumentStatus;
  tag?: string;
  /** Case-insensitive substring of the title. */
  q?: string;
}

export type DocumentRow = NonNullable<Awaited<ReturnType<DocumentsRepository['findById']>>>;

const columns = [
  'd.id',
  'd.owner_id',
  'd.kind',
  'd.title',
  'd.file_name',
  'd.mime',
  'd.byte_size',
  'd.sha256',
  'd.blob_key',
  'd.status',
  'd.stage_progress',
  'd.error',
  'd.generation',
  'd.page_count',
  'd.chunk_count',
  'd.embedding',
  'd.created_at',
  'd.updated_at',
] as const;

/** The library's SQL: documents with their tags (aggregated in the same statement), quotas, chunks, summaries. */
export function createDocumentsRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  const withTags = () =>
    q()
      .selectFrom('documents as d')
      .select(columns)
      .select(
        sql<
          string[]
        >`coalesce((select array_agg(t.tag order by t.tag) from document_tags t where t.document_id = d.id), '{}')`.as(
          'tags',
        ),
      );

  return {
    findById(ownerId: string, id: string) {
      return withTags().where('d.id', '=', id).where('d.owner_id', '=', ownerId).executeTakeFirst();
    },

    findBySha256(ownerId: string, sha256: string) {
      return withTags().where('d.owner_id', '=', ownerId).where('d.sha256', '=', sha256).executeTakeFirst();
    },

    /** A page of the owner's library, newest first: keyset after `after`, or `offset` rows in. */
    list(
      ownerId: string,
      filters: DocumentFilters,
      page: { limit: number; after?: Cursor; offset?: number },
    ) {
      let query = withTags().where('d.owner_id', '=', ownerId);
      if (filters.kind) query = query.where('d.kind', '=', filters.kind);
      if (filters.status) query = query.where('d.status', '=', filters.status);
      if (filters.q) query = query.where('d.title', 'ilike', `%${escapeLike(filters.q)}%`);
      if (filters.tag) {
        const tag = filters.tag;
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('document_tags as t')
              .select(sql.lit(1).as('one'))
              .whereRef('t.document_id', '=', 'd.id')
              .where('t.tag', '=', tag),
          ),
        );
      }
      if (page.after) {
        query = query.where(sql<boolean>`(d.created_at, d.id) < (${page.after.createdAt}, ${page.after.id})`);
      }
      if (page.offset) query = query.offset(page.offset);
      return query
        .orderBy('d.created_at', 'desc')
        .orderBy('d.id', 'desc')
        .limit(page.limit + 1)
        .execute();
    },

    /** Undefined when the owner already has these bytes (the unique index decides, so races cannot both win). */
    insert(document: {
      id: string;
      ownerId: string;
      kind: DocumentKind;
      title: string;
      fileName: string | null;
      mime: string;
      byteSize: number;
      sha256: string;
      blobKey: string;
    }) {
      return q()
        .insertInto('documents')
        .values({
          id: document.id,
          owner_id: document.ownerId,
          kind: document.kind,
          title: document.title,
          file_name: document.fileName,
          mime: document.mime,
          byte_size: document.byteSize,
          sha256: document.sha256,
          blob_key: document.blobKey,
        })
        .onConflict((oc) => oc.columns(['owner_id', 'sha256']).doNothing())
        .returning('id')
        .executeTakeFirst();
    },

    async replaceTags(documentId: string, tags: string[]): Promise<void> {
      await q().deleteFrom('document_tags').where('document_id', '=', documentId).execute();
      if (tags.length > 0) {
        await q()
          .insertInto('document_tags')
          .values(tags.map((tag) => ({ document_id: documentId, tag })))
          .execute();
      }
    },

    async updateTitle(ownerId: string, id: string, title: string): Promise<boolean> {
      const result = await q()
        .updateTable('documents')
        .set({ title, updated_at: new Date() })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Removes the document (chunks, pages, tags and vectors cascade); its blob key and size, for clean-up. */
    delete(ownerId: string, id: string) {
      return q()
        .deleteFrom('documents')
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .returning(['id', 'blob_key', 'byte_size'])
        .executeTakeFirst();
    },

    /** Up to `limit` documents of an owner, for account deletion in batches. */
    deleteSomeOfOwner(ownerId: string, limit: number) {
      return q()
        .deleteFrom('documents')
        .where(
          'id',
          'in',
          q().selectFrom('documents').select('id').where('owner_id', '=', ownerId).limit(limit),
        )
        .returning(['id', 'blob_key', 'byte_size'])
        .execute();
    },

    /**
     * Adds `bytes` to the owner's usage unless that passes `quota` (compare-and-set in one statement, so
     * concurrent uploads cannot overshoot together); false when it would.
     */
    async reserveStorage(ownerId: string, bytes: number, quota: number): Promise<boolean> {
      if (bytes > quota) return false; // a first upload inserts the row, which the condition below cannot stop
      const row = await q()
        .insertInto('storage_usage')
        .values({ owner_id: ownerId, bytes })
        .onConflict((oc) =>
          oc
            .column('owner_id')
            .doUpdateSet({ bytes: sql`storage_usage.bytes + excluded.bytes` })
            .where(sql<boolean>`storage_usage.bytes + excluded.bytes <= ${quota}`),
        )
        .returning('bytes')
        .executeTakeFirst();
      return row !== undefined;
    },

    async releaseStorage(ownerId: string, bytes: number): Promise<void> {
      await q()
        .updateTable('storage_usage')
        .set({ bytes: sql`greatest(bytes - ${bytes}, 0)` })
        .where('owner_id', '=', ownerId)
        .execute();
    },

    async dropStorageUsage(ownerId: string): Promise<void> {
      await q().deleteFrom('storage_usage').where('owner_id', '=', ownerId).execute();
    },

    async storageUsed(ownerId: string): Promise<number> {
      const row = await q()
        .selectFrom('storage_usage')
        .select('bytes')
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return row?.bytes ?? 0;
    },

    tagCounts(ownerId: string) {
      return q()
        .selectFrom('document_tags as t')
        .innerJoin('documents as d', 'd.id', 't.document_id')
        .select(['t.tag', sql<number>`count(*)::int`.as('count')])
        .where('d.owner_id', '=', ownerId)
        .groupBy('t.tag')
        .orderBy('count', 'desc')
        .orderBy('t.tag')
        .execute();
    },

    listChunks(documentId: string, limit: number, afterOrd: number) {
      return q()
        .selectFrom('chunks')
        .select(['id', 'ord', 'page_from', 'page_to', 'char_start', 'char_end', 'text'])
        .where('document_id', '=', documentId)
        .where('ord', '>', afterOrd)
        .orderBy('ord')
        .limit(limit + 1)
        .execute();
    },

    findSummary(documentId: string) {
      return q()
        .selectFrom('summaries')
        .select(['text', 'model', 'method', 'note', 'created_at'])
        .where('document_id', '=', documentId)
        .where('kind', '=', 'document')
        .executeTakeFirst();
    },
  };
}

export type DocumentsRepository = ReturnType<typeof createDocumentsRepository>;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import type { BlobStorage, ByteRange } from '../../platform/storage/blob-storage.ts';
import type { Actor } from '../users/index.ts';
import { documentNotFound } from './documents.errors.ts';
import type { PublishDocumentEvent } from './documents.events.ts';
import type { DocumentFilters, DocumentRow, DocumentsRepository } from './documents.repository.ts';
import { createLibraryAccess, normalizeTags } from './library-access.ts';

export interface DocumentsServiceDeps {
  documents: DocumentsRepository;
  storage: Pick<BlobStorage, 'get' | 'delete'>;
  cache: Pick<Cache, 'get' | 'set' | 'getOrSet' | 'delete' | 'deleteByTags'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishDocumentEvent;
  /** Starts a finished document over as a new generation (pipeline repository). */
  restart: (ownerId: string, id: string) => Promise<{ generation: number } | undefined>;
  subscribe: (channel: string, listener: () => void) => Promise<() => Promise<void>>;
}

export const progressChannel = (documentId: string) => `document:${documentId}`;

export interface ListQuery extends DocumentFilters {
  limit: number;
  cursor?: string;
  offset?: number;
}

const TERMINAL = new Set(['ready', 'failed']);
const USER_DELETION_BATCH = 100;

/** The library: reading, editing, reprocessing and deleting an owner's documents. */
export function createDocumentsService(deps: DocumentsServiceDeps) {
  const { documents, storage, cache } = deps;
  const { findOwned, invalidate } = createLibraryAccess(deps);

  return {
    async list(actor: Actor, query: ListQuery) {
      const after = decodeCursor(query.cursor);
      const key = `${actor.id}:${JSON.stringify(query)}`;
      return cache.getOrSet(
        'libraryPage',
        key,
        async () => toPage(await documents.list(actor.id, query, { ...query, after }), query.limit),
        { tags: [`owner:${actor.id}`] },
      );
    },

    /** Finished documents are cached (30 min); one still processing is read fresh, its progress moves. */
    async get(actor: Actor, id: string): Promise<DocumentRow> {
      const key = `${actor.id}:${id}`;
      const cached = await cache.get<DocumentRow>('documentMeta', key);
      if (cached) return cached;
      const row = await findOwned(actor, id);
      if (TERMINAL.has(row.status)) {
        await cache.set('documentMeta', key, row, { tags: [`doc:${id}`, `owner:${actor.id}`] });
      }
      return row;
    },

    async update(actor: Actor, id: string, changes: { title?: string; tags?: string[] }) {
      await deps.transaction(async () => {
        await findOwned(actor, id);
        if (changes.title !== undefined) await documents.updateTitle(actor.id, id, changes.title);
        if (changes.tags !== undefined) await documents.replaceTags(id, normalizeTags(changes.tags));
      });
      await invalidate(actor.id, id);
      return findOwned(actor, id);
    },

    /** The row goes now (chunks and vectors with it); the blob goes through the outbox, so a crash cannot orphan it. */
    async delete(actor: Actor, id: string): Promise<void> {
      await deps.transaction(async () => {
        const removed = await documents.delete(actor.id, id);
        if (!removed) throw documentNotFound();
        await documents.releaseStorage(actor.id, removed.byte_size);
        await deps.publish('document.deleted', id, {
          documentId: id,
          ownerId: actor.id,
          blobKey: removed.blob_key,
        });
      });
      await invalidate(actor.id, id);
    },

    /** Removes every document of a deleted account, in batches; their blobs follow through the outbox. */
    async deleteAllOf(ownerId: string): Promise<void> {
      for (;;) {
        const removed = await deps.transaction(async () => {
          const rows = await documents.deleteSomeOfOwner(ownerId, USER_DELETION_BATCH);
          for (const row of rows) {
            await deps.publish('document.deleted', row.id, {
              documentId: row.id,
              ownerId,
              blobKey: row.blob_key,
            });
          }
          return rows.length;
        });
        if (removed < USER_DELETION_BATCH) break;
      }
      await documents.dropStorageUsage(ownerId);
      await invalidate(ownerId);
    },

    deleteBlob: (blobKey: string) => storage.delete(blobKey),

    async reprocess(actor: Actor, id: string) {
      const restarted = await deps.transaction(async () => {
        await findOwned(actor, id);
        const row = await deps.restart(actor.id, id);
        if (!row) return undefined;
        await deps.publish('document.stage-requested', id, {
          documentId: id,
          generation: row.generation,
          stage: 'extract',
        });
        return row;
      });
      if (!restarted) {
        throw new AppError(
          'DOCUMENT_BUSY',
          409,
          'The document is still being processed; reprocess it once it is ready or failed.',
        );
      }
      await invalidate(actor.id, id);
      return { id, status: 'queued' as const, generation: restarted.generation };
    },

    /** The document's live state, read from the database (never cached). */
    async progress(actor: Actor, id: string) {
      const row = await findOwned(actor, id);
      return { status: row.status, stageProgress: row.stage_progress, error: row.error };
    },

    /** Calls `listener` whenever the pipeline reports progress on this document (any process). */
    subscribe: (id: string, listener: () => void) => deps.subscribe(progressChannel(id), listener),

    async tagCounts(actor: Actor) {
      return cache.getOrSet('tagCounts', actor.id, () => documents.tagCounts(actor.id));
    },

    async chunks(actor: Actor, id: string, page: { limit: number; afterOrd: number }) {
      await findOwned(actor, id);
      const rows = await documents.listChunks(id, page.limit, page.afterOrd);
      const items = rows.slice(0, page.limit);
      return { items, nextCursor: rows.length > page.limit ? String(items.at(-1)!.ord) : null };
    },

    async summary(actor: Actor, id: string) {
      const document = await findOwned(actor, id);
      const summary = await documents.findSummary(id);
      if (!summary) {
        throw new AppError(
          'DOCUMENT_NOT_READY',
          409,
          document.status === 'failed'
            ? `The document failed to process: ${document.error ?? 'unknown reason'}.`
            : `The document is still processing (${document.status}).`,
        );
      }
      return summary;
    },

    /** The stored bytes (a range of them), with what a download needs to name them. */
    async openFile(actor: Actor, id: string, rangeOf: (size: number) => ByteRange | undefined) {
      const document = await findOwned(actor, id);
      const blob = await storage.get(document.blob_key, rangeOf(document.byte_size));
      if (!blob) throw documentNotFound();
      return { document, blob };
    },
  };
}

export type DocumentsService = ReturnType<typeof createDocumentsService>;

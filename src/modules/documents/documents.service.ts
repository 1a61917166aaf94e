import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { newBlobKey, type BlobStorage, type ByteRange } from '../../platform/storage/blob-storage.ts';
import type { Actor } from '../users/index.ts';
import { detectDocumentType, SNIFF_BYTES, type DocumentMime } from './document-type.ts';
import { documentNotFound } from './documents.errors.ts';
import type { DocumentEvents } from './documents.events.ts';
import type {
  DocumentFilters,
  DocumentKind,
  DocumentRow,
  DocumentsRepository,
} from './documents.repository.ts';
import { hashedStream } from './upload-stream.ts';

export interface DocumentsServiceDeps {
  documents: DocumentsRepository;
  storage: Pick<BlobStorage, 'put' | 'get' | 'delete'>;
  cache: Pick<Cache, 'get' | 'set' | 'getOrSet' | 'delete' | 'deleteByTags'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: <T extends keyof DocumentEvents>(
    type: T,
    aggregateId: string,
    payload: DocumentEvents[T],
  ) => Promise<void>;
  /** Starts a finished document over as a new generation (pipeline repository). */
  restart: (ownerId: string, id: string) => Promise<{ generation: number } | undefined>;
  subscribe: (channel: string, listener: () => void) => Promise<() => Promise<void>>;
  limits: { maxUploadBytes: number; userStorageBytes: number };
}

export const progressChannel = (documentId: string) => `document:${documentId}`;

/** An upload stored under its own key but not yet a document: `createFromUpload` or `discard` it. */
export interface StagedUpload {
  blobKey: string;
  sha256: string;
  bytes: number;
  mime: DocumentMime;
  fileName: string | null;
}

/** Tags are compared lower-case: `Physics` and `physics` are one tag. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

export interface NewDocumentFields {
  title?: string;
  tags: string[];
  kind: DocumentKind;
}

export type Created = { document: DocumentRow; duplicateOf: string | null };

export interface ListQuery extends DocumentFilters {
  limit: number;
  cursor?: string;
  offset?: number;
}

const TERMINAL = new Set(['ready', 'failed']);
const USER_DELETION_BATCH = 100;

export function createDocumentsService(deps: DocumentsServiceDeps) {
  const { documents, storage, cache } = deps;

  const invalidate = (ownerId: string, documentId?: string) =>
    Promise.all([
      cache.deleteByTags(documentId ? [`owner:${ownerId}`, `doc:${documentId}`] : [`owner:${ownerId}`]),
      cache.delete('tagCounts', ownerId),
    ]);

  const discard = (blobKey: string) => storage.delete(blobKey).catch(() => undefined);

  async function findOwned(actor: Actor, id: string): Promise<DocumentRow> {
    const row = await documents.findById(actor.id, id);
    if (!row) throw documentNotFound();
    return row;
  }

  /** Inserts the document for stored bytes, or finds the owner's existing one with the same bytes. */
  async function create(actor: Actor, stored: StagedUpload, fields: NewDocumentFields): Promise<Created> {
    // The common duplicate is answered without a transaction; a concurrent one is decided by the unique index.
    const known = await documents.findBySha256(actor.id, stored.sha256);
    if (known) {
      await discard(stored.blobKey);
      return { document: known, duplicateOf: known.id };
    }
    const id = uuidv7();
    const created = await deps
      .transaction(async () => {
        const inserted = await documents.insert({
          id,
          ownerId: actor.id,
          kind: fields.kind,
          title: fields.title ?? titleFrom(stored.fileName),
          fileName: stored.fileName,
          mime: stored.mime,
          byteSize: stored.bytes,
          sha256: stored.sha256,
          blobKey: stored.blobKey,
        });
        if (!inserted) return false;
        if (!(await documents.reserveStorage(actor.id, stored.bytes, deps.limits.userStorageBytes))) {
          throw quotaExceeded(deps.limits.userStorageBytes);
        }
        await documents.replaceTags(id, normalizeTags(fields.tags));
        await deps.publish('document.created', id, { documentId: id, ownerId: actor.id, generation: 1 });
        return true;
      })
      .catch(async (error: unknown) => {
        await discard(stored.blobKey);
        throw error;
      });
    if (!created) {
      // Another request stored the same bytes first (a race the unique index decided).
      await discard(stored.blobKey);
      const existing = await documents.findBySha256(actor.id, stored.sha256);
      if (!existing) throw new Error('A duplicate upload found no document to point at');
      return { document: existing, duplicateOf: existing.id };
    }
    await invalidate(actor.id);
    return { document: await findOwned(actor, id), duplicateOf: null };
  }

  return {
    /**
     * Streams an upload to storage while hashing it. The type is decided from the first bytes before anything
     * is stored; past the size limit or the quota nothing is left behind.
     */
    async stageUpload(
      actor: Actor,
      source: Readable,
      declared: { mimetype: string; fileName: string | undefined },
    ): Promise<StagedUpload> {
      const upload = await hashedStream(source, SNIFF_BYTES);
      if (upload.head.length === 0) throw new AppError('DOCUMENT_EMPTY', 422, 'The file is empty.');
      const mime = await detectDocumentType(upload.head, declared);
      const { maxUploadBytes, userStorageBytes } = deps.limits;
      const quotaLeft = userStorageBytes - (await documents.storageUsed(actor.id));
      if (quotaLeft <= 0) throw quotaExceeded(userStorageBytes);
      const maxBytes = Math.min(maxUploadBytes, quotaLeft);
      const blobKey = newBlobKey('documents');
      await storage.put(blobKey, upload.body, { contentType: mime, maxBytes }).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'STORAGE_TOO_LARGE') {
          throw maxBytes === maxUploadBytes ? tooLarge(maxUploadBytes) : quotaExceeded(userStorageBytes);
        }
        throw error;
      });
      const { sha256, bytes } = upload.digest();
      return { blobKey, sha256, bytes, mime, fileName: safeFileName(declared.fileName) };
    },

    createFromUpload: create,

    /** Removes a staged upload that will not become a document (a later field was invalid, a replay). */
    discard: (staged: StagedUpload) => discard(staged.blobKey),

    /** A story is a document of kind `story` whose text arrives as JSON; it takes the same pipeline. */
    async createStory(
      actor: Actor,
      input: { title: string; text: string; tags: string[] },
    ): Promise<Created> {
      if (input.text.trim() === '') throw new AppError('DOCUMENT_EMPTY', 422, 'The story text is empty.');
      const bytes = Buffer.from(input.text, 'utf8');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const existing = await documents.findBySha256(actor.id, sha256);
      if (existing) return { document: existing, duplicateOf: existing.id };
      const { userStorageBytes } = deps.limits;
      if (bytes.length > userStorageBytes - (await documents.storageUsed(actor.id))) {
        throw quotaExceeded(userStorageBytes);
      }
      const blobKey = newBlobKey('documents');
      await storage.put(blobKey, Readable.from([bytes]), { contentType: 'text/plain' });
      return create(
        actor,
        { blobKey, sha256, bytes: bytes.length, mime: 'text/plain', fileName: null },
        { title: input.title, tags: input.tags, kind: 'story' },
      );
    },

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

function tooLarge(maxBytes: number): AppError {
  return new AppError('DOCUMENT_TOO_LARGE', 413, `The file is larger than the ${maxBytes} bytes allowed.`, {
    extensions: { maxBytes },
  });
}

function quotaExceeded(quotaBytes: number): AppError {
  return new AppError(
    'DOCUMENT_QUOTA_EXCEEDED',
    413,
    `This file would take you past your storage quota of ${quotaBytes} bytes.`,
    { extensions: { quotaBytes } },
  );
}

/** The client's name as metadata: its last path segment, without control characters, at most 255 chars. */
function safeFileName(name: string | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const controls = /[\x00-\x1f\x7f]/g;
  const base = name?.split(/[/\\]/).at(-1)?.replace(controls, '').trim();
  return base ? base.slice(0, 255) : null;
}

function titleFrom(fileName: string | null): string {
  const stem = fileName?.replace(/\.[^.]+$/, '').trim();
  return stem ? stem.slice(0, 200) : 'Untitled document';
}

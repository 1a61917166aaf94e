import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { newBlobKey, type BlobStorage } from '../../platform/storage/blob-storage.ts';
import type { Actor } from '../users/index.ts';
import { detectDocumentType, SNIFF_BYTES, type DocumentMime } from './document-type.ts';
import type { PublishDocumentEvent } from './documents.events.ts';
import type { DocumentKind, DocumentRow, DocumentsRepository } from './documents.repository.ts';
import { createLibraryAccess, normalizeTags } from './library-access.ts';
import { hashedStream } from './upload-stream.ts';

export interface UploadsServiceDeps {
  documents: DocumentsRepository;
  storage: Pick<BlobStorage, 'put' | 'delete'>;
  cache: Pick<Cache, 'delete' | 'deleteByTags'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishDocumentEvent;
  limits: { maxUploadBytes: number; userStorageBytes: number };
}

/** An upload stored under its own key but not yet a document: `createFromUpload` or `discard` it. */
export interface StagedUpload {
  blobKey: string;
  sha256: string;
  bytes: number;
  mime: DocumentMime;
  fileName: string | null;
}

export interface NewDocumentFields {
  title?: string;
  tags: string[];
  kind: DocumentKind;
}

export type Created = { document: DocumentRow; duplicateOf: string | null };

/** New documents: multipart uploads staged to storage, and stories from text; both then take the pipeline. */
export function createUploadsService(deps: UploadsServiceDeps) {
  const { documents, storage } = deps;
  const { findOwned, invalidate } = createLibraryAccess(deps);

  const discard = (blobKey: string) => storage.delete(blobKey).catch(() => undefined);

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
  };
}

export type UploadsService = ReturnType<typeof createUploadsService>;

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

import type { Cache } from '../../platform/cache/cache.ts';
import type { Actor } from '../users/index.ts';
import { documentNotFound } from './documents.errors.ts';
import type { DocumentRow, DocumentsRepository } from './documents.repository.ts';

/** What the library and upload use cases share: the owner-scoped read and the cache entries a write drops. */
export function createLibraryAccess(deps: {
  documents: Pick<DocumentsRepository, 'findById'>;
  cache: Pick<Cache, 'delete' | 'deleteByTags'>;
}) {
  const { documents, cache } = deps;

  /** Another owner's document answers DOCUMENT_NOT_FOUND too: an id's existence is not confirmed. */
  async function findOwned(actor: Actor, id: string): Promise<DocumentRow> {
    const row = await documents.findById(actor.id, id);
    if (!row) throw documentNotFound();
    return row;
  }

  const invalidate = (ownerId: string, documentId?: string) =>
    Promise.all([
      cache.deleteByTags(documentId ? [`owner:${ownerId}`, `doc:${documentId}`] : [`owner:${ownerId}`]),
      cache.delete('tagCounts', ownerId),
    ]);

  return { findOwned, invalidate };
}

/** Tags are compared lower-case: `Physics` and `physics` are one tag. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

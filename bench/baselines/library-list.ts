import type { Kysely } from 'kysely';
import type { Tables } from '../../src/platform/db/tables.ts';

/**
 * The library list as the replaced apps wrote it: one query for the page, then one more per document for its
 * tags (N+1). Kept as the benchmark's reference; its answer must equal the optimised route's.
 */
export async function listLibraryNaive(db: Kysely<Tables>, ownerId: string, limit: number) {
  const documents = await db
    .selectFrom('documents')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const items = [];
  for (const document of documents) {
    const tags = await db
      .selectFrom('document_tags')
      .select('tag')
      .where('document_id', '=', document.id)
      .orderBy('tag')
      .execute();
    items.push({ ...document, tags: tags.map((t) => t.tag) });
  }
  return items;
}

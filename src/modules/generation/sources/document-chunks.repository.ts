import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { SourceChunk } from '../courses/course-sources.ts';

/** Reads the text of documents as generation sources (each chunk with its document, pages and page breaks). */
export function createDocumentChunksRepository(database: Pick<Database, 'executor'>) {
  return {
    /**
     * About `limit` chunks of the given documents (at most one more per document): every k-th chunk of each, so
     * each document contributes in proportion to its length and from all of it, in the given document order
     * then reading order. The caller has checked the documents are the owner's.
     */
    async chunksOf(documentIds: string[], limit: number): Promise<SourceChunk[]> {
      if (documentIds.length === 0) return [];
      const { rows } = await sql<SourceChunk>`
        with picked as (
          select d.value::uuid as document_id, d.ord from jsonb_array_elements_text(${JSON.stringify(documentIds)}::jsonb)
            with ordinality as d(value, ord)
        ), ranked as (
          select c.id, p.ord as document_ord, c.ord,
            row_number() over (partition by c.document_id order by c.ord) - 1 as i,
            count(*) over () as total
          from picked p
          join chunks c on c.document_id = p.document_id
        )
        select c.id as "chunkId", c.document_id as "documentId", d.title, c.page_from as "pageFrom",
          c.page_to as "pageTo", c.page_breaks as "pageBreaks", c.text
        from ranked r
        join chunks c on c.id = r.id
        join documents d on d.id = c.document_id
        where r.i % greatest(1, ceil(r.total::numeric / ${limit}))::int = 0
        order by r.document_ord, r.ord`.execute(database.executor());
      return rows;
    },
  };
}

export type DocumentChunksRepository = ReturnType<typeof createDocumentChunksRepository>;

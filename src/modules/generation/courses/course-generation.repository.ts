import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { CourseArtifact } from './course.schema.ts';

export interface Finished {
  artifact: CourseArtifact;
  engine: 'llm' | 'extractive';
  model: string;
  notice: string | null;
}

/**
 * The generation job's side of courses: status moves by compare-and-set on (status, generation), so a stale
 * or duplicate run changes nothing; and the text of the course's documents.
 */
export function createCourseGenerationRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** queued → generating for this generation only; undefined when stale, deleted or already finished. */
    startGenerating(id: string, generation: number) {
      return db()
        .updateTable('courses')
        .set({ status: 'generating', updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .returning([
          'owner_id',
          'title',
          'audience',
          'level',
          'summary',
          'outline',
          'objectives',
          'engine',
          'model',
        ])
        .executeTakeFirst();
    },

    /** Stores the finished artifact, unless the course moved on meanwhile (regenerated or deleted). */
    async complete(id: string, generation: number, finished: Finished): Promise<boolean> {
      const result = await db()
        .updateTable('courses')
        .set({
          status: 'ready',
          summary: finished.artifact.summary,
          outline: JSON.stringify(finished.artifact.outline),
          objectives: JSON.stringify(finished.artifact.objectives),
          engine: finished.engine,
          model: finished.model,
          notice: finished.notice,
          error: null,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', '=', 'generating')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Ends this generation as failed; undefined when the course moved on (or is gone). */
    fail(id: string, generation: number, reason: string) {
      return db()
        .updateTable('courses')
        .set({ status: 'failed', error: reason, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .returning(['owner_id', 'title'])
        .executeTakeFirst();
    },

    /** Courses still queued or generating whose last change is older than `before` (their job may be lost). */
    stalled(before: Date, limit: number) {
      return db()
        .selectFrom('courses')
        .select(['id', 'generation'])
        .where('status', 'in', ['queued', 'generating'])
        .where('updated_at', '<', before)
        .orderBy('updated_at')
        .limit(limit)
        .execute();
    },

    /** A stalled course back to queued under a new generation, so a late run of the old job skips. */
    revive(id: string, generation: number) {
      return db()
        .updateTable('courses')
        .set({ status: 'queued', generation: sql<number>`generation + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .returning(['generation', 'cache_key'])
        .executeTakeFirst();
    },

    /**
     * About `limit` chunks of the course's documents (at most one more per document): every k-th chunk of each,
     * so each document contributes in proportion to its length and from all of it, in document then reading
     * order. The ranking reads ids only; text is read for the picks.
     */
    async chunksOf(courseId: string, limit: number) {
      const { rows } = await sql<{
        chunkId: string;
        documentId: string;
        title: string;
        pageFrom: number;
        pageTo: number;
        pageBreaks: number[];
        text: string;
      }>`
        with ranked as (
          select c.id, cd.ord as document_ord, c.ord,
            row_number() over (partition by c.document_id order by c.ord) - 1 as i,
            count(*) over (partition by c.document_id) as n,
            count(*) over () as total
          from course_documents cd
          join chunks c on c.document_id = cd.document_id
          where cd.course_id = ${courseId}
        )
        select c.id as "chunkId", c.document_id as "documentId", d.title, c.page_from as "pageFrom",
          c.page_to as "pageTo", c.page_breaks as "pageBreaks", c.text
        from ranked r
        join chunks c on c.id = r.id
        join documents d on d.id = c.document_id
        where r.i % greatest(1, ceil(r.total::numeric / ${limit}))::int = 0
        order by r.document_ord, r.ord`.execute(db());
      return rows;
    },
  };
}

export type CourseGenerationRepository = ReturnType<typeof createCourseGenerationRepository>;

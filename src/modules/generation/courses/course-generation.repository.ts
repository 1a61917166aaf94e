import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import { createDocumentChunksRepository } from '../sources/document-chunks.repository.ts';
import type { CourseArtifact } from './course.schema.ts';
import type { SourceChunk } from './course-sources.ts';

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
  const documentChunks = createDocumentChunksRepository(database);
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

    /** About `limit` chunks of the course's documents, in their course order (see `chunksOf` of the sources). */
    async chunksOf(courseId: string, limit: number): Promise<SourceChunk[]> {
      const documents = await db()
        .selectFrom('course_documents')
        .select('document_id')
        .where('course_id', '=', courseId)
        .orderBy('ord')
        .execute();
      return documentChunks.chunksOf(
        documents.map((d) => d.document_id),
        limit,
      );
    },
  };
}

export type CourseGenerationRepository = ReturnType<typeof createCourseGenerationRepository>;

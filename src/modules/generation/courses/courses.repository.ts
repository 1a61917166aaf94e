import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { Cursor } from '../../../platform/pagination.ts';
import type { CourseArtifact } from './course.schema.ts';

export type CourseLevel = 'beginner' | 'intermediate' | 'advanced';

export interface NewCourse {
  id: string;
  ownerId: string;
  title: string;
  audience: string | null;
  level: CourseLevel | null;
  documentIds: string[];
  cacheKey: string;
  /** A course served from ai_cache is ready at once. */
  ready?: { artifact: CourseArtifact; engine: 'llm' | 'extractive'; model: string; notice: string | null };
}

const COURSE_COLUMNS = [
  'id',
  'owner_id',
  'title',
  'audience',
  'level',
  'status',
  'generation',
  'summary',
  'outline',
  'objectives',
  'engine',
  'model',
  'notice',
  'cached',
  'error',
  'created_at',
  'updated_at',
] as const;

/** courses and course_documents: the course rows and the documents each was built from. */
export function createCoursesRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();

  const documentIdsOf = async (courseIds: string[]) => {
    if (courseIds.length === 0) return new Map<string, string[]>();
    const rows = await db()
      .selectFrom('course_documents')
      .select(['course_id', 'document_id'])
      .where('course_id', 'in', courseIds)
      .orderBy('course_id')
      .orderBy('ord')
      .execute();
    const byCourse = new Map<string, string[]>();
    for (const row of rows)
      byCourse.set(row.course_id, [...(byCourse.get(row.course_id) ?? []), row.document_id]);
    return byCourse;
  };

  return {
    /** The owner's documents among `ids`, with what a cache key needs to know about their content. */
    findDocuments(ownerId: string, ids: string[]) {
      return db()
        .selectFrom('documents')
        .select(['id', 'title', 'status', 'sha256', 'generation'])
        .where('owner_id', '=', ownerId)
        .where('id', 'in', ids)
        .execute();
    },

    async insert(course: NewCourse): Promise<void> {
      const { ready } = course;
      await db()
        .insertInto('courses')
        .values({
          id: course.id,
          owner_id: course.ownerId,
          title: course.title,
          audience: course.audience,
          level: course.level,
          status: ready ? 'ready' : 'queued',
          summary: ready?.artifact.summary ?? null,
          outline: ready ? JSON.stringify(ready.artifact.outline) : null,
          objectives: ready ? JSON.stringify(ready.artifact.objectives) : null,
          engine: ready?.engine ?? null,
          model: ready?.model ?? null,
          notice: ready?.notice ?? null,
          cached: ready !== undefined,
          cache_key: course.cacheKey,
        })
        .execute();
      await db()
        .insertInto('course_documents')
        .values(
          course.documentIds.map((documentId, ord) => ({
            course_id: course.id,
            document_id: documentId,
            ord,
          })),
        )
        .execute();
    },

    async findById(ownerId: string | undefined, id: string) {
      let query = db().selectFrom('courses').select(COURSE_COLUMNS).where('id', '=', id);
      if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
      const row = await query.executeTakeFirst();
      if (!row) return undefined;
      return { ...row, document_ids: (await documentIdsOf([id])).get(id) ?? [] };
    },

    /** One keyset page of the owner's courses, newest first (limit + 1 rows). */
    async listByOwner(ownerId: string, cursor: Cursor | undefined, limit: number) {
      let query = db()
        .selectFrom('courses')
        .select(COURSE_COLUMNS)
        .where('owner_id', '=', ownerId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (cursor) {
        query = query.where(sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
      }
      const rows = await query.execute();
      const documents = await documentIdsOf(rows.map((row) => row.id));
      return rows.map((row) => ({ ...row, document_ids: documents.get(row.id) ?? [] }));
    },

    /** A finished course back to queued under a new generation; undefined while it is still being made. */
    restart(ownerId: string, id: string) {
      return db()
        .updateTable('courses')
        .set({
          status: 'queued',
          generation: sql<number>`generation + 1`,
          error: null,
          cached: false,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .where('status', 'in', ['ready', 'failed'])
        .returning(['generation', 'cache_key'])
        .executeTakeFirst();
    },

    async delete(ownerId: string, id: string): Promise<boolean> {
      const result = await db()
        .deleteFrom('courses')
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type CoursesRepository = ReturnType<typeof createCoursesRepository>;
export type CourseRow = NonNullable<Awaited<ReturnType<CoursesRepository['findById']>>>;

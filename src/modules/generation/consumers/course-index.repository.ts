import type { Database } from '../../../platform/db/database.ts';

/** course_search: each ready course's text for full-text search. */
export function createCourseIndexRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    async upsert(courseId: string, ownerId: string, text: string): Promise<void> {
      await db()
        .insertInto('course_search')
        .values({ course_id: courseId, owner_id: ownerId, text })
        .onConflict((oc) => oc.column('course_id').doUpdateSet({ text }))
        .execute();
    },
    async remove(courseId: string): Promise<void> {
      await db().deleteFrom('course_search').where('course_id', '=', courseId).execute();
    },
  };
}

export type CourseIndexRepository = ReturnType<typeof createCourseIndexRepository>;

import type { Database } from '../../platform/db/database.ts';
import type { CourseEdge, CourseNode, CoursePlan } from './course-plan.ts';

/**
 * Bulk writes of the seeded course and its concept graph: multi-row inserts that skip rows a previous seed made
 * (ids are derived from names), each returning how many rows were new. Only the seed uses it; the API writes
 * courses through the generation module.
 */
export function createCourseSeedRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** The course, ready, with its outline and search text; true when it was new. */
    async insertCourse(plan: CoursePlan, ownerId: string): Promise<boolean> {
      const rows = await db()
        .insertInto('courses')
        .values({
          id: plan.id,
          owner_id: ownerId,
          title: plan.title,
          audience: null,
          level: 'intermediate',
          status: 'ready',
          summary: plan.summary,
          outline: JSON.stringify(plan.outline),
          objectives: JSON.stringify(plan.objectives),
          // Made by the seed, not by an engine from documents: the notice says so to whoever reads it.
          engine: null,
          model: null,
          notice: 'A seeded demo course: its concept graph is generated, not drawn from documents.',
          cache_key: `seed:${plan.id}`,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      const text = [plan.title, plan.summary, ...plan.outline.map((s) => s.title)].join('\n');
      await db()
        .insertInto('course_search')
        .values({ course_id: plan.id, owner_id: ownerId, text })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return rows.length > 0;
    },

    async insertConcepts(courseId: string, nodes: CourseNode[]): Promise<number> {
      const rows = await db()
        .insertInto('concepts')
        .values(nodes.map((n) => ({ id: n.id, course_id: courseId, name: n.name, kind: n.kind })))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      return rows.length;
    },

    async insertEdges(edges: CourseEdge[]): Promise<number> {
      const rows = await db()
        .insertInto('concept_edges')
        .values(edges.map((e) => ({ src_id: e.srcId, rel: e.rel, dst_id: e.dstId })))
        .onConflict((oc) => oc.doNothing())
        .returning('src_id')
        .execute();
      return rows.length;
    },
  };
}

export type CourseSeedRepository = ReturnType<typeof createCourseSeedRepository>;

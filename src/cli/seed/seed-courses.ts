import type { CoursePlan } from './course-plan.ts';
import type { CourseSeedRepository } from './course-seed.repository.ts';
import { retryWhileBusy } from './seed-library.ts';

/** Rows per insert: three parameters an edge, well under PostgreSQL's 65,535. */
const BATCH = 1000;

/** What the plan holds, and how much of it this run wrote. */
export interface CourseOutcome {
  planned: { concepts: number; edges: number };
  created: { courses: number; concepts: number; edges: number };
}

/**
 * Writes the course, then its nodes and edges in batches, for an existing account. Rows a previous seed made are
 * left as they are, so a second run adds nothing and an interrupted one picks up where it stopped.
 */
export async function seedCourse(
  repository: CourseSeedRepository,
  plan: CoursePlan,
  options: { ownerId: string; onProgress: (done: number, total: number, step: string) => void },
): Promise<CourseOutcome> {
  const total = plan.nodes.length + plan.edges.length;
  let done = 0;
  const run = async <T>(step: string, rows: T[], write: (batch: T[]) => Promise<number>) => {
    let created = 0;
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      created += await retryWhileBusy(() => write(batch));
      done += batch.length;
      options.onProgress(done, total, `course: ${step}`);
    }
    return created;
  };

  const course = await retryWhileBusy(() => repository.insertCourse(plan, options.ownerId));
  const concepts = await run('concepts', plan.nodes, (b) => repository.insertConcepts(plan.id, b));
  const edges = await run('edges', plan.edges, (b) => repository.insertEdges(b));
  options.onProgress(total, total, 'course: done');
  return {
    planned: { concepts: plan.nodes.length, edges: plan.edges.length },
    created: { courses: course ? 1 : 0, concepts, edges },
  };
}

import { courseJobId } from './course.events.ts';
import type { CourseRow } from './courses.repository.ts';

export function presentCourse(row: CourseRow) {
  return {
    id: row.id,
    title: row.title,
    audience: row.audience,
    level: row.level,
    status: row.status,
    documentIds: row.document_ids,
    summary: row.summary,
    outline: row.outline,
    objectives: row.objectives,
    engine: row.engine,
    model: row.model,
    notice: row.notice,
    cached: row.cached,
    error: row.error,
    jobId: courseJobId(row.id, row.generation),
    createdAt: row.created_at.toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

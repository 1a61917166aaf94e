import type { Actor } from '../../users/index.ts';
import { courseNotFound } from '../generation.errors.ts';
import type { CourseRow } from './courses.repository.ts';

/** The job ids `courseJobId` makes: `course.generate-<course id>-<generation>`. */
export const COURSE_JOB_ID = /^course\.generate-([0-9a-f-]{36})-\d+$/;

/**
 * A course job's state for a realtime subscriber, in the shape the job publishes (`{status, progress}`), read
 * through the owner check: someone else's course answers the same 404 as a missing one.
 */
export function courseJobProgress(courses: {
  get(actor: Actor, id: string): Promise<Pick<CourseRow, 'status'>>;
}) {
  return async (actor: Actor, jobId: string) => {
    const courseId = COURSE_JOB_ID.exec(jobId)?.[1];
    if (!courseId) throw courseNotFound();
    const { status } = await courses.get(actor, courseId);
    return { status, progress: status === 'ready' || status === 'failed' ? 100 : 0 };
  };
}

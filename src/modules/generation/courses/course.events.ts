/** A course's state as its events carry it: enough for a notification, a counter and the search index. */
export interface CourseEventPayload {
  courseId: string;
  ownerId: string;
  title: string;
  status: 'queued' | 'generating' | 'ready' | 'failed';
}

/** Events the courses publish through the outbox, in the transaction of the change. */
export type CourseEvents = {
  'course.created': CourseEventPayload;
  'course.updated': CourseEventPayload;
  'course.deleted': Omit<CourseEventPayload, 'status'>;
  /** A generation was asked for: its consumer enqueues the job (job id from course id and generation). */
  'course.generation-requested': CourseGenerationJob;
};

export interface CourseGenerationJob {
  courseId: string;
  generation: number;
  /** Where the result is cached for the owner's identical requests. */
  cacheKey: string;
  /** Regenerate only this outline item (0-based); null: the whole course. */
  section: number | null;
}

export type PublishCourseEvent = <T extends keyof CourseEvents>(
  type: T,
  aggregateId: string,
  payload: CourseEvents[T],
) => Promise<void>;

/** Deterministic per course and generation: a retry or a replayed event joins the same job. */
export const courseJobId = (courseId: string, generation: number) =>
  `course.generate-${courseId}-${generation}`;

/** The pub/sub channel a job's progress goes to (`{status, progress}` messages). */
export const jobChannel = (jobId: string) => `job:${jobId}`;

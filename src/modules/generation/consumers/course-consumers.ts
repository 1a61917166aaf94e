import type { OutboxConsumers } from '../../../platform/outbox/outbox.ts';
import type { CourseEventPayload, CourseEvents, CourseGenerationJob } from '../courses/course.events.ts';
import type { CoursesRepository } from '../courses/courses.repository.ts';
import type { NotificationsRepository } from '../notifications/notifications.repository.ts';
import type { ConsumedEventsRepository } from './consumed-events.repository.ts';
import type { CourseIndexRepository } from './course-index.repository.ts';

export interface CourseConsumerDeps {
  courses: Pick<CoursesRepository, 'findById'>;
  notifications: Pick<NotificationsRepository, 'insertOnce'>;
  courseIndex: CourseIndexRepository;
  consumed: Pick<ConsumedEventsRepository, 'claim'>;
  /** Enqueues course.generate (idempotent: the job id comes from course id and generation). */
  enqueueGeneration: (job: CourseGenerationJob) => Promise<void>;
  /** The analytics counter. */
  countEvent: (type: keyof CourseEvents) => void;
  /** Pushes a small message to the user's realtime channel (`user:<id>`); best effort. */
  pushToUser: (userId: string, message: NotificationPush) => void;
}

/** What the owner's sockets hear of a new notification: its id and kind, fetched over HTTP for the rest. */
export interface NotificationPush {
  type: 'notification';
  id: string;
  kind: string;
}

/**
 * The course events' consumers, independent of each other (each with its own retries), all idempotent by
 * event id. Names are stored with each delivery: never rename one. `E` is the whole event registry.
 */
export function createCourseConsumers<E extends CourseEvents>(deps: CourseConsumerDeps): OutboxConsumers<E> {
  return {
    courseGeneration: {
      events: ['course.generation-requested'],
      handle: (event) => deps.enqueueGeneration(event.payload as unknown as CourseGenerationJob),
    },
    // The owner hears when a course is finished, one way or the other: stored, then pushed once it is stored.
    // Only the delivery that stored it pushes, so a redelivered event pushes nothing; a push lost on the way is
    // not retried (the stored notification is the record, listed over HTTP).
    courseNotifications: {
      events: ['course.created', 'course.updated'],
      async handle(event) {
        const payload = event.payload as unknown as CourseEventPayload;
        if (payload.status !== 'ready' && payload.status !== 'failed') return;
        const ready = payload.status === 'ready';
        const kind = ready ? 'course.ready' : 'course.failed';
        const id = await deps.notifications.insertOnce({
          userId: payload.ownerId,
          eventId: event.id,
          kind,
          subjectId: payload.courseId,
          title: ready ? `Your course “${payload.title}” is ready` : `Your course “${payload.title}” failed`,
          body: ready
            ? 'Open it to see its summary, outline, objectives and concept graph.'
            : 'Open it to read why; you can regenerate it.',
        });
        if (id) deps.pushToUser(payload.ownerId, { type: 'notification', id, kind });
      },
    },
    // A counter cannot be made idempotent by itself: the event id is claimed first.
    courseAnalytics: {
      events: ['course.created', 'course.updated', 'course.deleted'],
      async handle(event) {
        if (await deps.consumed.claim('courseAnalytics', event.id))
          deps.countEvent(event.type as keyof CourseEvents);
      },
    },
    // Indexes the course as it is now (not as the event saw it), so a late redelivery cannot restore old text.
    courseSearchIndex: {
      events: ['course.created', 'course.updated', 'course.deleted'],
      async handle(event) {
        const courseId = (event.payload as unknown as { courseId: string }).courseId;
        const course = await deps.courses.findById(undefined, courseId);
        if (!course || course.status !== 'ready') return deps.courseIndex.remove(courseId);
        const text = [
          course.title,
          course.summary,
          ...(course.outline ?? []).flatMap((item) => [
            item.title,
            item.description,
            item.concepts.join(', '),
          ]),
          ...(course.objectives ?? []),
        ].join('\n');
        await deps.courseIndex.upsert(course.id, course.owner_id, text);
      },
    },
  };
}

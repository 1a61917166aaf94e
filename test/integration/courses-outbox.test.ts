import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumedEventsRepository } from '../../src/modules/generation/consumers/consumed-events.repository.ts';
import { createCourseConsumers } from '../../src/modules/generation/consumers/course-consumers.ts';
import { createCourseIndexRepository } from '../../src/modules/generation/consumers/course-index.repository.ts';
import type { CourseEvents } from '../../src/modules/generation/index.ts';
import { createCoursesRepository } from '../../src/modules/generation/courses/courses.repository.ts';
import { createNotificationsRepository } from '../../src/modules/generation/notifications/notifications.repository.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createOutbox, type OutboxConsumer } from '../../src/platform/outbox/outbox.ts';
import { registerUser } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The course event consumers behind a real outbox on both engines: each one that fails after doing its work
// (a crash before the acknowledgement) is retried, and its effect still happens once. The app's own relay is
// not started, so only this test's outbox claims the deliveries.
let t: TestApp;
let owner: { id: string; token: string };
beforeAll(async () => {
  t = await createTestApp();
  owner = await registerUser(t);
});
afterAll(() => t?.close());

/** A consumer that runs the real one, then fails its first `failures` deliveries anyway. */
function failingAfterWork(consumer: OutboxConsumer<CourseEvents>, failures: number) {
  let left = failures;
  return {
    ...consumer,
    async handle(event: Parameters<OutboxConsumer<CourseEvents>['handle']>[0]) {
      await consumer.handle(event);
      if (left-- > 0) throw new Error('crashed before acknowledging');
    },
  };
}

describe('course event consumers', () => {
  it('process an event once when they fail twice and then succeed', async () => {
    const db = t.deps.database;
    const counted: string[] = [];
    const pushed: { userId: string; kind: string }[] = [];
    const real = createCourseConsumers<CourseEvents>({
      courses: createCoursesRepository(db),
      notifications: createNotificationsRepository(db),
      courseIndex: createCourseIndexRepository(db),
      consumed: createConsumedEventsRepository(db),
      enqueueGeneration: async () => undefined,
      countEvent: (type) => counted.push(type),
      pushToUser: (userId, message) => pushed.push({ userId, kind: message.kind }),
    });
    const outbox = createOutbox<CourseEvents>(
      db,
      {
        courseNotifications: failingAfterWork(real.courseNotifications!, 2),
        courseAnalytics: failingAfterWork(real.courseAnalytics!, 2),
      },
      { logger: createLogger('silent'), metrics: t.deps.metrics, pollMs: 60_000 },
    );
    const courseId = uuidv7();
    await db.transaction(() =>
      outbox.publish('course.updated', courseId, {
        courseId,
        ownerId: owner.id,
        title: 'Tides',
        status: 'ready',
      }),
    );

    for (let attempt = 1; attempt <= 3; attempt++) {
      // Skip the retry backoff: make every pending delivery due now.
      await sql`update outbox_deliveries set next_attempt_at = now() where delivered_at is null`.execute(
        db.db,
      );
      expect(await outbox.relayOnce()).toBe(2);
    }
    expect(await outbox.relayOnce()).toBe(0);

    const deliveries = await db.db
      .selectFrom('outbox_deliveries')
      .select(['consumer', 'attempts', 'delivered_at'])
      .orderBy('consumer')
      .execute();
    expect(deliveries.map((d) => [d.consumer, d.attempts, d.delivered_at !== null])).toEqual([
      ['courseAnalytics', 3, true],
      ['courseNotifications', 3, true],
    ]);
    const notifications = await db.db
      .selectFrom('notifications')
      .select(['kind', 'subject_id', 'title'])
      .where('user_id', '=', owner.id)
      .execute();
    expect(notifications).toEqual([
      { kind: 'course.ready', subject_id: courseId, title: 'Your course “Tides” is ready' },
    ]);
    expect(counted).toEqual(['course.updated']);
    // Pushed by the delivery that stored the notification, not by its redeliveries.
    expect(pushed).toEqual([{ userId: owner.id, kind: 'course.ready' }]);
  });
});

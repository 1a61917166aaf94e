import type { Llm } from '../../platform/ai/llm.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import type { Database } from '../../platform/db/database.ts';
import type { TokenBudget } from '../ai-usage/index.ts';
import { createAiCacheRepository } from './ai-cache/ai-cache.repository.ts';
import { createConceptsRepository } from './concepts/concepts.repository.ts';
import { createConsumedEventsRepository } from './consumers/consumed-events.repository.ts';
import { createCourseConsumers, type NotificationPush } from './consumers/course-consumers.ts';
import { createCourseIndexRepository } from './consumers/course-index.repository.ts';
import {
  jobChannel,
  type CourseEvents,
  type CourseGenerationJob,
  type PublishCourseEvent,
} from './courses/course.events.ts';
import { createCourseGenerationRepository } from './courses/course-generation.repository.ts';
import { createCoursesRepository } from './courses/courses.repository.ts';
import { createCoursesService } from './courses/courses.service.ts';
import { EXTRACTIVE_COURSE_MODEL } from './courses/extractive-course.ts';
import { createCourseGenerator } from './courses/generate-course.job.ts';
import { createNotificationsRepository } from './notifications/notifications.repository.ts';
import { createNotificationsService } from './notifications/notifications.service.ts';
import { createPresentations } from './presentations/create-presentations.ts';
import type {
  DeckGenerationJob,
  PresentationEvents,
  PublishPresentationEvent,
} from './presentations/presentation.events.ts';

/** Consumed-event marks outlive the outbox events they stand for (kept 7 days) by a day. */
const CONSUMED_KEEP_DAYS = 8;

export interface GenerationDeps {
  database: Database;
  cache: Pick<Cache, 'getOrSet'>;
  publish: PublishCourseEvent;
  /** The chat model; undefined in embedded mode (the local extractive engine answers). */
  llm: Llm | undefined;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  notify: (channel: string, message: { status: string; progress: number }) => void;
  enqueueGeneration: (job: CourseGenerationJob) => Promise<void>;
  countEvent: (type: keyof CourseEvents) => void;
  /** Pushes a notification hint to the user's realtime channel (`user:<id>`); best effort. */
  pushToUser: (userId: string, message: NotificationPush) => void;
  publishPresentation: PublishPresentationEvent;
  enqueueDeckGeneration: (job: DeckGenerationJob) => Promise<void>;
  settings: { maxInputTokens: number; courseCacheTtlSeconds: number; deckCacheTtlSeconds: number };
}

/** The generation module's parts, built on its repositories: the service, the job, consumers and the prune. */
export function createGeneration<E extends CourseEvents & PresentationEvents>(deps: GenerationDeps) {
  const { database, publish, llm, budget, settings } = deps;
  const transaction = <T>(work: () => Promise<T>) => database.transaction(work);
  const courses = createCoursesRepository(database);
  const concepts = createConceptsRepository(database);
  const aiCache = createAiCacheRepository(database);
  const notifications = createNotificationsRepository(database);
  const consumed = createConsumedEventsRepository(database);
  const presentations = createPresentations<E>({
    database,
    aiCache,
    publish: deps.publishPresentation,
    llm,
    budget,
    notify: (jobId, message) => deps.notify(jobChannel(jobId), message),
    enqueueDeckGeneration: deps.enqueueDeckGeneration,
    settings: { maxInputTokens: settings.maxInputTokens, deckCacheTtlSeconds: settings.deckCacheTtlSeconds },
  });
  return {
    courses: createCoursesService({
      courses,
      concepts,
      aiCache,
      transaction,
      publish,
      llmModel: llm?.model,
      extractiveModel: EXTRACTIVE_COURSE_MODEL,
      budget,
      maxInputTokens: settings.maxInputTokens,
      cache: deps.cache,
    }),
    generator: createCourseGenerator({
      courses: createCourseGenerationRepository(database),
      concepts,
      aiCache,
      transaction,
      publish,
      notify: (jobId, message) => deps.notify(jobChannel(jobId), message),
      llm,
      budget,
      maxInputTokens: settings.maxInputTokens,
      cacheTtlSeconds: settings.courseCacheTtlSeconds,
    }),
    notifications: createNotificationsService(notifications),
    presentations: presentations.service,
    deckGenerator: presentations.generator,
    presentationConsumers: presentations.consumers,
    consumers: createCourseConsumers<E>({
      courses,
      notifications,
      courseIndex: createCourseIndexRepository(database),
      consumed,
      enqueueGeneration: deps.enqueueGeneration,
      countEvent: deps.countEvent,
      pushToUser: deps.pushToUser,
    }),
    /** The daily prune: expired AI outputs and old consumed-event marks. */
    async prune(): Promise<number> {
      return (await aiCache.pruneExpired()) + (await consumed.prune(CONSUMED_KEEP_DAYS));
    },
  };
}

export type Generation = ReturnType<typeof createGeneration>;

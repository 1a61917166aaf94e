// The generation module's public surface: structured AI generation, the owner's AI cache, courses and their
// concept graphs, the notifications course events leave, and slide decks (templates, themes, presentations).
export { aiCacheKey } from './ai-cache/ai-cache-key.ts';
export {
  courseJobId,
  jobChannel,
  type CourseEvents,
  type CourseGenerationJob,
} from './courses/course.events.ts';
export { COURSE_JOB_ID, courseJobProgress } from './courses/course-job-progress.ts';
export { coursesRoutes } from './courses/courses.routes.ts';
export { createGeneration, type Generation } from './create-generation.ts';
export { GENERATION_ERRORS } from './generation.errors.ts';
export { notificationsRoutes } from './notifications/notifications.routes.ts';
export { deckJobProgress } from './presentations/deck-job-progress.ts';
export {
  DECK_JOB_ID,
  deckJobId,
  type DeckGenerationJob,
  type PresentationEvents,
} from './presentations/presentation.events.ts';
export { PRESENTATIONS_ERRORS } from './presentations/presentations.errors.ts';
export { presentationsRoutes } from './presentations/presentations.routes.ts';
export { referenceDataRoutes } from './presentations/reference-data.routes.ts';
export { generateStructured, MAX_REPAIR_ROUNDS } from './structured/generate-structured.ts';
export { schemaHash, toJsonSchema } from './structured/json-schema.ts';

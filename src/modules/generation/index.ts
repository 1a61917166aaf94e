// The generation module's public surface: structured AI generation, the owner's AI cache, courses and their
// concept graphs, and the notifications course events leave.
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
export { generateStructured, MAX_REPAIR_ROUNDS } from './structured/generate-structured.ts';
export { schemaHash, toJsonSchema } from './structured/json-schema.ts';

import { Type } from '@sinclair/typebox';
import { CourseArtifact } from './course.schema.ts';

const Uuid = Type.String({ format: 'uuid' });
const Level = Type.Union([Type.Literal('beginner'), Type.Literal('intermediate'), Type.Literal('advanced')]);

export const CourseParams = Type.Object({ id: Uuid });

export const RegenerateBody = Type.Union([
  Type.Object(
    {
      section: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 11,
          description: 'Only this outline item (0-based); the whole course when absent',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const CreateCourseBody = Type.Object(
  {
    documentIds: Type.Array(Uuid, {
      minItems: 1,
      maxItems: 20,
      description: 'Your ready documents (1 to 20) the course is built from',
    }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' })),
    audience: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    level: Type.Optional(Level),
  },
  { additionalProperties: false },
);

export const Course = Type.Object({
  id: Uuid,
  title: Type.String(),
  audience: Type.Union([Type.String(), Type.Null()]),
  level: Type.Union([Level, Type.Null()]),
  status: Type.Union(['queued', 'generating', 'ready', 'failed'].map((s) => Type.Literal(s))),
  documentIds: Type.Array(Uuid),
  // The artifact's fields, from its one schema; null until the course is ready.
  summary: Type.Union([CourseArtifact.properties.summary, Type.Null()]),
  outline: Type.Union([CourseArtifact.properties.outline, Type.Null()]),
  objectives: Type.Union([CourseArtifact.properties.objectives, Type.Null()]),
  engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive'), Type.Null()], {
    description: '`extractive`: built from the documents’ own headings and sentences, without a model',
  }),
  model: Type.Union([Type.String(), Type.Null()]),
  notice: Type.Union([Type.String(), Type.Null()], {
    description: 'How the course was made when that matters (extractive, degraded); null otherwise',
  }),
  cached: Type.Boolean({ description: 'The artifact came from your cache of identical requests' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why generation failed' }),
  jobId: Type.String({ description: 'The generation job; its progress goes to the channel `job:<jobId>`' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const CreatedCourse = Type.Object({
  course: Course,
  jobId: Type.Union([Type.String(), Type.Null()], { description: 'null when answered from the cache' }),
  cached: Type.Boolean(),
});

export const CoursePage = Type.Object({
  items: Type.Array(Course),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ConceptsQuery = Type.Object({
  depth: Type.Integer({ minimum: 1, maximum: 3, default: 2 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
});

export const ConceptsResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Uuid,
      name: Type.String(),
      kind: Type.Union([Type.Literal('section'), Type.Literal('concept'), Type.Literal('course')]),
      depth: Type.Integer({ minimum: 1, maximum: 3, description: 'Fewest steps from the course' }),
    }),
  ),
  truncated: Type.Boolean({ description: 'The walk stopped at `limit` nodes' }),
});

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/pagination.ts';
import type { Authenticate } from '../../users/index.ts';
import {
  ConceptsQuery,
  ConceptsResponse,
  Course,
  CourseParams,
  CoursePage,
  CreateCourseBody,
  CreatedCourse,
  RegenerateBody,
} from './courses.api-schema.ts';
import { presentCourse } from './courses.presenter.ts';
import type { CoursesService } from './courses.service.ts';

const security = [{ bearer: [] }];

export function coursesRoutes(
  courses: CoursesService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);

    app.post(
      '/courses',
      {
        config: { idempotent: true },
        schema: {
          tags: ['courses'],
          summary: 'Generate a course (summary, outline, objectives, concept graph) from your documents.',
          description:
            'Answers 202 with the course and its job id; progress (`{status, progress}`) is published on the ' +
            'channel `job:<jobId>`. An identical earlier request of yours still cached (1 h by default) answers ' +
            '200 with the finished course, `cached: true`. With an AI model the course is made in one structured ' +
            'call whose tokens count against your daily budget; without one, or when the model is down or too ' +
            'slow, it is built extractively (`engine: extractive`, with a `notice`). Every outline item cites ' +
            'document, page and chunk. Errors: 404 COURSE_DOCUMENTS_NOT_FOUND, 422 COURSE_DOCUMENTS_NOT_READY, ' +
            '429 AI_BUDGET_EXCEEDED.',
          security,
          body: CreateCourseBody,
          response: { 200: CreatedCourse, 202: CreatedCourse },
        },
      },
      async (request, reply) => {
        const created = await courses.create(request.actor, request.body);
        const course = presentCourse(created.course);
        if (created.cached) return { course, jobId: null, cached: true };
        return reply.code(202).send({ course, jobId: created.jobId, cached: false });
      },
    );

    app.get(
      '/courses',
      {
        schema: {
          tags: ['courses'],
          summary: 'Your courses, newest first (keyset pages).',
          description: 'Errors: 400 HTTP_INVALID_CURSOR.',
          security,
          querystring: PageQuery,
          response: { 200: CoursePage },
        },
      },
      async (request) => {
        const page = await courses.list(request.actor, request.query);
        return { items: page.items.map(presentCourse), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/courses/:id',
      {
        schema: {
          tags: ['courses'],
          summary: 'One of your courses.',
          description: 'Errors: 404 COURSE_NOT_FOUND.',
          security,
          params: CourseParams,
          response: { 200: Course },
        },
      },
      async (request) => presentCourse(await courses.get(request.actor, request.params.id)),
    );

    app.delete(
      '/courses/:id',
      {
        schema: {
          tags: ['courses'],
          summary: 'Delete one of your courses and its concept graph.',
          description: 'Errors: 404 COURSE_NOT_FOUND.',
          security,
          params: CourseParams,
          response: { 204: Type.Null({ description: 'Deleted' }) },
        },
      },
      async (request, reply) => {
        await courses.delete(request.actor, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/courses/:id/regenerate',
      {
        schema: {
          tags: ['courses'],
          summary:
            'Generate the course again, whole or one outline item (bypassing the cache, whose entry the result replaces).',
          description:
            'Answers 202 with the course and the new job id. With `{section: n}` only outline item n (0-based) is ' +
            'made anew, from the excerpts it cited first; the rest stays. If the model cannot produce a valid ' +
            'section, the course stays as it was, with a `notice`. Errors: 404 COURSE_NOT_FOUND, 409 COURSE_BUSY ' +
            '(still generating), 422 COURSE_SECTION_NOT_FOUND, 422 COURSE_DOCUMENTS_NOT_READY, 404 ' +
            'COURSE_DOCUMENTS_NOT_FOUND (a document was deleted), 429 AI_BUDGET_EXCEEDED.',
          security,
          params: CourseParams,
          body: RegenerateBody,
          response: { 202: CreatedCourse },
        },
      },
      async (request, reply) => {
        const section = request.body?.section ?? null;
        const { course, jobId } = await courses.regenerate(request.actor, request.params.id, section);
        return reply.code(202).send({ course: presentCourse(course), jobId, cached: false });
      },
    );

    app.get(
      '/courses/:id/concepts',
      {
        schema: {
          tags: ['courses'],
          summary:
            'The concepts reachable from the course within `depth` steps, each once, with its minimum depth.',
          description:
            'A bounded breadth-first walk in SQL, one statement per level (at most 3), each returning only nodes ' +
            'not reached before: the course contains its sections (depth 1), sections contain concepts, and ' +
            'concepts relate to each other (either direction). Results are distinct nodes with the fewest steps ' +
            'from the course — unlike a graph database query, which answers one row per path. The walk stops at ' +
            '`limit` nodes (`truncated: true`); within a depth, nodes come in name order. Errors: 400 ' +
            '(depth outside 1..3, limit outside 1..100), 404 COURSE_NOT_FOUND.',
          security,
          params: CourseParams,
          querystring: ConceptsQuery,
          response: { 200: ConceptsResponse },
        },
      },
      (request) => courses.concepts(request.actor, request.params.id, request.query),
    );
  };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../../platform/pagination.ts';
import type { Authenticate } from '../../users/index.ts';
import type { NotificationsService } from './notifications.service.ts';

const NotificationsPage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      kind: Type.String({ description: 'e.g. `course.ready`, `course.failed`' }),
      subjectId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'e.g. the course id',
      }),
      title: Type.String(),
      body: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export function notificationsRoutes(
  notifications: NotificationsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    app.get(
      '/notifications',
      {
        schema: {
          tags: ['notifications'],
          summary: 'Your notifications, newest first (keyset pages).',
          description: 'Errors: 400 HTTP_INVALID_CURSOR.',
          security: [{ bearer: [] }],
          querystring: PageQuery,
          response: { 200: NotificationsPage },
        },
      },
      async (request) => {
        const page = await notifications.list(request.actor, request.query);
        return {
          items: page.items.map((row) => ({
            id: row.id,
            kind: row.kind,
            subjectId: row.subject_id,
            title: row.title,
            body: row.body,
            createdAt: row.created_at.toISOString(),
          })),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
}

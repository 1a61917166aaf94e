import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/pagination.ts';
import type { Authenticate } from '../users/index.ts';
import type { CommentsService } from './comments.service.ts';
import { presentComment } from './social.presenter.ts';
import { Comment, CommentBody, CommentPage, IdParams } from './social.schema.ts';

/** Only viewers of a post may read or write its comments; others get the post's 404. */
export function commentsRoutes(
  comments: CommentsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    const security = [{ bearer: [] }];
    const tags = ['social'];

    app.post(
      '/posts/:id/comments',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Comment on a post you may see.',
          description: 'Honours Idempotency-Key. Errors: 404 SOCIAL_POST_NOT_FOUND.',
          security,
          params: IdParams,
          body: CommentBody,
          response: { 201: Comment },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(presentComment(await comments.create(request.actor, request.params.id, request.body.body))),
    );

    app.get(
      '/posts/:id/comments',
      {
        schema: {
          tags,
          summary: 'Comments on a post you may see, newest first (keyset paged).',
          description: 'Errors: 404 SOCIAL_POST_NOT_FOUND.',
          security,
          params: IdParams,
          querystring: PageQuery,
          response: { 200: CommentPage },
        },
      },
      async (request) => {
        const page = await comments.list(request.actor, request.params.id, request.query);
        return { items: page.items.map(presentComment), nextCursor: page.nextCursor };
      },
    );

    app.delete(
      '/comments/:id',
      {
        schema: {
          tags,
          summary: 'Delete a comment: yours, or any on your post.',
          description: 'Errors: 403 SOCIAL_COMMENT_FORBIDDEN, 404 SOCIAL_COMMENT_NOT_FOUND.',
          security,
          params: IdParams,
          response: { 204: { type: 'null' } },
        },
      },
      async (request, reply) => {
        await comments.delete(request.actor, request.params.id);
        return reply.code(204).send();
      },
    );
  };
}

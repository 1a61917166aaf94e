import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import type { PostsService } from './posts.service.ts';
import { presentPost } from './social.presenter.ts';
import { secondsSince, type SocialMetrics } from './social.metrics.ts';
import { IdParams, Post, PostBody } from './social.schema.ts';

export function postsRoutes(deps: {
  posts: PostsService;
  authenticate: Authenticate;
  metrics: Pick<SocialMetrics, 'postCreations' | 'postCreationLatency' | 'postDeletions'>;
}): FastifyPluginAsyncTypebox {
  const { posts, metrics } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    const security = [{ bearer: [] }];
    const tags = ['social'];

    app.post(
      '/posts',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Post to an audience: `["all"]` (every connection) or your audience tag ids.',
          description:
            'Honours Idempotency-Key. Feeds receive the post through a background fan-out. `photos` are ' +
            'keys of your upload slots, each checked (size, and type from its bytes) before the post is ' +
            'stored; a rejected object is deleted. Errors: 404 SOCIAL_TAG_NOT_FOUND, 422 ' +
            'SOCIAL_AUDIENCE_INVALID, 404 SOCIAL_PHOTO_NOT_FOUND, 409 SOCIAL_PHOTO_IN_USE, 410 ' +
            'SOCIAL_PHOTO_SLOT_EXPIRED, 413 SOCIAL_PHOTO_TOO_LARGE, 415 SOCIAL_PHOTO_UNSUPPORTED_TYPE, 422 ' +
            'SOCIAL_PHOTO_NOT_UPLOADED / SOCIAL_PHOTO_DUPLICATE.',
          security,
          body: PostBody,
          response: { 201: Post },
        },
      },
      async (request, reply) => {
        const started = performance.now();
        const post = await posts.create(request.actor, request.body);
        metrics.postCreations.inc();
        metrics.postCreationLatency.observe(secondsSince(started));
        return reply.code(201).send(presentPost(request.actor.id, post));
      },
    );

    app.get(
      '/posts/:id',
      {
        schema: {
          tags,
          summary: 'A post you may see (yours, or one whose audience includes you).',
          description: 'Errors: 404 SOCIAL_POST_NOT_FOUND (also for posts outside your audience).',
          security,
          params: IdParams,
          response: { 200: Post },
        },
      },
      async (request) => presentPost(request.actor.id, await posts.get(request.actor, request.params.id)),
    );

    app.delete(
      '/posts/:id',
      {
        schema: {
          tags,
          summary: 'Delete your post with its comments; it leaves every feed at once.',
          description: 'Errors: 404 SOCIAL_POST_NOT_FOUND.',
          security,
          params: IdParams,
          response: { 204: { type: 'null' } },
        },
      },
      async (request, reply) => {
        await posts.delete(request.actor, request.params.id);
        metrics.postDeletions.inc();
        return reply.code(204).send();
      },
    );
  };
}

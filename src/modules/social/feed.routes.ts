import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import type { FeedService } from './feed.service.ts';
import { presentPost } from './social.presenter.ts';
import { secondsSince, type SocialMetrics } from './social.metrics.ts';
import { FeedPage, FeedQuery } from './social.schema.ts';

export function feedRoutes(deps: {
  feed: FeedService;
  authenticate: Authenticate;
  metrics: Pick<SocialMetrics, 'feedRequests' | 'feedLatency'>;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    app.get(
      '/feed',
      {
        schema: {
          tags: ['social'],
          summary: 'Posts from you and your connections that you may see, newest first (keyset paged).',
          description:
            'Four SQL statements per page at any size (`Server-Timing` `db` says how many); visibility is ' +
            're-checked on every request.',
          security: [{ bearer: [] }],
          querystring: FeedQuery,
          response: { 200: FeedPage },
        },
      },
      async (request) => {
        const started = performance.now();
        const page = await deps.feed.page(request.actor, request.query);
        deps.metrics.feedRequests.inc();
        deps.metrics.feedLatency.observe(secondsSince(started));
        return {
          items: page.items.map((item) => presentPost(request.actor.id, item)),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
}

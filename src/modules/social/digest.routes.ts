import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Authenticate } from '../users/index.ts';
import type { Digest, DigestService } from './digest.service.ts';
import { presentPost } from './social.presenter.ts';
import { secondsSince, type SocialMetrics } from './social.metrics.ts';
import { Post } from './social.schema.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

const DigestQuery = Type.Object({
  since: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'start of the digest; default: the start of your last delivered digest, else a day ago',
    }),
  ),
});

const DigestBody = Type.Object({
  since: Timestamp,
  until: Timestamp,
  postCount: Type.Integer({ description: 'posts of your connections in the window that you may see' }),
  authors: Type.Array(
    Type.Object({
      author: Type.Object({ id: Uuid, displayName: Type.String() }),
      postCount: Type.Integer(),
      commentCount: Type.Integer(),
      latestAt: Timestamp,
      recentPostIds: Type.Array(Uuid, { description: 'up to 5, newest first' }),
    }),
  ),
  topPosts: Type.Array(Post, { description: 'up to 5, most commented first' }),
  summary: Type.Union([
    Type.Object({
      text: Type.String(),
      engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive')]),
      notice: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

function presentDigest(viewerId: string, digest: Digest) {
  return {
    since: digest.since.toISOString(),
    until: digest.until.toISOString(),
    postCount: digest.postCount,
    authors: digest.authors.map((a) => ({
      author: { id: a.author_id, displayName: a.author_name },
      postCount: a.post_count,
      commentCount: a.comment_count,
      latestAt: a.latest_at.toISOString(),
      recentPostIds: a.recent_post_ids,
    })),
    topPosts: digest.topPosts.map((post) => presentPost(viewerId, post)),
    summary: digest.summary,
  };
}

export function digestRoutes(deps: {
  digest: DigestService;
  authenticate: Authenticate;
  metrics: Pick<SocialMetrics, 'digestRequests' | 'digestLatency'>;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    app.get(
      '/digest',
      {
        schema: {
          tags: ['social'],
          summary: 'What your connections posted: grouped by author, the most commented posts, a summary.',
          description:
            'Only posts you may see now. Three SQL statements at any size (`Server-Timing` `db`). The summary ' +
            'is by the AI model (charged to your daily budget), else extractive (`engine`, `notice` say so).',
          security: [{ bearer: [] }],
          querystring: DigestQuery,
          response: { 200: DigestBody },
        },
      },
      async (request) => {
        const started = performance.now();
        const since = request.query.since === undefined ? undefined : new Date(request.query.since);
        const digest = await deps.digest.read(request.actor, { since });
        deps.metrics.digestRequests.inc();
        deps.metrics.digestLatency.observe(secondsSince(started));
        return presentDigest(request.actor.id, digest);
      },
    );
  };
}

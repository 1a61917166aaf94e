// Lectern (`serve`, embedded) with one more route: GET /api/v1/bench/naive-feed answers the first feed page the
// way the replaced social app did (bench/baselines/feed-naive.ts: one query for the page, four per post), through
// the same authentication, presenter and response schema as GET /api/v1/feed. The `feed-2000-naive` benchmark
// scenario starts this file instead of `bin/lectern.js serve`.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { start } from '../../src/cli/startup.ts';
import { presentPost } from '../../src/modules/social/social.presenter.ts';
import { decodeCursor } from '../../src/platform/pagination.ts';
import { FeedPage } from '../../src/modules/social/social.schema.ts';
import { NAIVE_FEED_PATH } from './feed-paths.ts';
import { feedPageNaive } from './feed-naive.ts';

const { deps, release } = await start({ migrate: true });
const app: FastifyInstance = await buildApp(deps);
await app.register(async (scope) => {
  scope.addHook('onRequest', deps.authenticate);
  scope.get<{ Querystring: { limit?: string; cursor?: string } }>(
    NAIVE_FEED_PATH,
    { schema: { response: { 200: FeedPage } } },
    async (request) => {
      const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 20) || 20));
      const posts = await feedPageNaive(deps.database.db, deps.storage, {
        id: request.actor.id,
        limit,
        after: decodeCursor(request.query.cursor),
        photoUrlTtlSeconds: deps.config.social.photoUrlTtlSeconds,
      });
      return { items: posts.map((post) => presentPost(request.actor.id, post)), nextCursor: null };
    },
  );
});
await app.listen({ host: deps.config.host, port: deps.config.port });
await deps.startBackground({ workers: true });

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  await deps.close();
  await release();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

import type { Config } from './config.ts';
import type { TokenBudget } from './modules/ai-usage/index.ts';
import type { Summarizer } from './modules/ingest/index.ts';
import {
  createAudienceTagsRepository,
  createAudienceTagsService,
  createCommentsRepository,
  createCommentsService,
  createConnectionsRepository,
  createConnectionsService,
  createDigestRepository,
  createDigestService,
  createDigestSummary,
  createFeedRepository,
  createFeedService,
  createPhotosRepository,
  createPhotosService,
  createPhotoUrls,
  createPostsRepository,
  createPostsService,
  readSocialCounts,
  type FanOut,
  type FeedCache,
  type PublishSocialEvent,
} from './modules/social/index.ts';
import type { Llm } from './platform/ai/llm.ts';
import type { Cache } from './platform/cache/cache.ts';
import type { Database } from './platform/db/database.ts';
import type { Metrics } from './platform/observability/metrics.ts';
import type { BlobStorage } from './platform/storage/blob-storage.ts';

/** The social module's services, wired for the composition root (deps.ts), which it serves alone. */
export function composeSocial(deps: {
  config: Config;
  database: Database;
  storage: BlobStorage;
  cache: Cache;
  metrics: Metrics;
  feedCache: FeedCache;
  fanOut: Pick<FanOut, 'rebuild'>;
  llm: Llm | undefined;
  extractive: Summarizer;
  budget: TokenBudget;
  publish: PublishSocialEvent;
}) {
  const { config, database, storage, cache, metrics, feedCache, llm, extractive, budget } = deps;
  const transaction = <T>(work: () => Promise<T>) => database.transaction(work);
  const audienceTagsRepository = createAudienceTagsRepository(database);
  const socialPhotos = createPhotosService({
    photos: createPhotosRepository(database),
    storage,
    settings: { slotTtlSeconds: config.social.photoSlotTtlSeconds, maxBytes: config.social.photoMaxBytes },
  });
  const photoUrls = createPhotoUrls({ storage, ttlSeconds: config.social.photoUrlTtlSeconds });
  const social = {
    connections: createConnectionsService({
      connections: createConnectionsRepository(database),
      feedCache,
      transaction,
      publish: deps.publish,
    }),
    audienceTags: createAudienceTagsService({
      tags: audienceTagsRepository,
      feedCache,
      transaction,
      publish: deps.publish,
    }),
    posts: createPostsService({
      posts: createPostsRepository(database),
      tags: audienceTagsRepository,
      feedCache,
      transaction,
      publish: deps.publish,
      photos: socialPhotos,
      photoUrls,
    }),
    comments: createCommentsService({ comments: createCommentsRepository(database) }),
    feed: createFeedService({
      feed: createFeedRepository(database),
      feedCache,
      photoUrls,
      rebuildInbox: (userId) => deps.fanOut.rebuild(userId),
    }),
    photos: socialPhotos,
    digest: createDigestService({
      digest: createDigestRepository(database),
      summary: createDigestSummary({ llm: llm, extractive, budget, cache }),
      photoUrls,
    }),
  };
  metrics.observeSocialCounts(() => readSocialCounts(database));
  return social;
}

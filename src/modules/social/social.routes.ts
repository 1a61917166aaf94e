import type { FastifyPluginAsync } from 'fastify';
import type { Authenticate } from '../users/index.ts';
import { audienceTagsRoutes } from './audience-tags.routes.ts';
import type { AudienceTagsService } from './audience-tags.service.ts';
import { commentsRoutes } from './comments.routes.ts';
import type { CommentsService } from './comments.service.ts';
import { connectionsRoutes } from './connections.routes.ts';
import type { ConnectionsService } from './connections.service.ts';
import { digestRoutes } from './digest.routes.ts';
import type { DigestService } from './digest.service.ts';
import { feedRoutes } from './feed.routes.ts';
import type { FeedService } from './feed.service.ts';
import { photosRoutes } from './photos.routes.ts';
import type { PhotosService } from './photos.service.ts';
import { postsRoutes } from './posts.routes.ts';
import type { PostsService } from './posts.service.ts';
import type { SocialMetrics } from './social.metrics.ts';

export interface SocialServices {
  connections: ConnectionsService;
  audienceTags: AudienceTagsService;
  posts: PostsService;
  comments: CommentsService;
  feed: FeedService;
  photos: PhotosService;
  digest: DigestService;
}

/** Every social route: connections and blocks, audience tags, posts and photos, comments, feed and digest. */
export function socialRoutes(
  social: SocialServices,
  authenticate: Authenticate,
  metrics: SocialMetrics,
): FastifyPluginAsync {
  return async (app) => {
    await app.register(connectionsRoutes({ connections: social.connections, authenticate, metrics }));
    await app.register(audienceTagsRoutes(social.audienceTags, authenticate));
    await app.register(postsRoutes({ posts: social.posts, authenticate, metrics }));
    await app.register(photosRoutes(social.photos, authenticate));
    await app.register(commentsRoutes(social.comments, authenticate));
    await app.register(feedRoutes({ feed: social.feed, authenticate, metrics }));
    await app.register(digestRoutes({ digest: social.digest, authenticate, metrics }));
  };
}

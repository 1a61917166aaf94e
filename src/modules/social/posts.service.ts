import { uuidv7 } from 'uuidv7';
import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../users/index.ts';
import type { AudienceTagsRepository } from './audience-tags.repository.ts';
import { tagNotFound } from './audience-tags.service.ts';
import type { FeedCache } from './feed-cache.ts';
import type { PhotoUrls } from './photo-urls.ts';
import type { PhotosService } from './photos.service.ts';
import type { PostRow, PostsRepository } from './posts.repository.ts';
import type { PublishSocialEvent } from './social.events.ts';

export interface PostsServiceDeps {
  posts: PostsRepository;
  tags: Pick<AudienceTagsRepository, 'countOwned'>;
  feedCache: Pick<FeedCache, 'forget'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishSocialEvent;
  photos: Pick<PhotosService, 'verify' | 'attach'>;
  photoUrls: Pick<PhotoUrls, 'sign'>;
}

/** A post as read: its row with signed URLs for its photos. */
export type SignedPost = PostRow & { photos: { ord: number; url: string }[] };

export const postNotFound = () => new AppError('SOCIAL_POST_NOT_FOUND', 404, 'No such post.');

/** `['all']`, or your tag ids: the connections that will see the post. */
function audienceTagIds(audience: string[]): string[] {
  const unique = [...new Set(audience)];
  if (unique.includes('all')) {
    if (unique.length > 1)
      throw new AppError('SOCIAL_AUDIENCE_INVALID', 422, 'Use either ["all"] or a list of your tag ids.');
    return [];
  }
  return unique.sort();
}

export function createPostsService(deps: PostsServiceDeps) {
  const { posts } = deps;

  async function signed(post: PostRow): Promise<SignedPost> {
    const urls = await deps.photoUrls.sign(post.photo_keys);
    return { ...post, photos: post.photo_keys.map((key, ord) => ({ ord, url: urls.get(key)! })) };
  }

  return {
    /**
     * The post, its audience, its photos and its `post.created` event (which starts the fan-out) commit
     * together; the photos' objects are checked before the transaction opens.
     */
    async create(
      actor: Actor,
      input: { body: string; audience: string[]; photos?: string[] },
    ): Promise<SignedPost> {
      const tagIds = audienceTagIds(input.audience);
      const photoKeys = input.photos ?? [];
      const id = uuidv7();
      await deps.photos.verify(actor, photoKeys);
      const createdAt = await deps.transaction(async () => {
        if ((await deps.tags.countOwned(actor.id, tagIds)) !== tagIds.length) throw tagNotFound();
        const at = await posts.insert({ id, authorId: actor.id, body: input.body, tagIds });
        await deps.photos.attach(actor, id, photoKeys);
        await deps.publish('post.created', id, { postId: id, authorId: actor.id });
        return at;
      });
      return signed({
        id,
        author_id: actor.id,
        author_name: actor.displayName,
        body: input.body,
        audience: tagIds.length > 0 ? 'tags' : 'all',
        created_at: createdAt,
        tag_ids: tagIds,
        photo_keys: photoKeys,
        comment_count: 0,
        commented: false,
      });
    },

    async get(actor: Actor, id: string): Promise<SignedPost> {
      const post = await posts.findVisible(actor.id, id);
      if (!post) throw postNotFound();
      return signed(post);
    },

    /**
     * Only the author deletes a post; its entries leave every feed in the same transaction, and its photo blobs
     * are deleted after commit (`post.deleted`).
     */
    async delete(actor: Actor, id: string): Promise<void> {
      const recipients = await deps.transaction(async () => {
        const removed = await posts.deleteOwn(actor.id, id);
        if (removed) await deps.publish('post.deleted', id, { postId: id, authorId: actor.id });
        return removed;
      });
      if (!recipients) throw postNotFound();
      await deps.feedCache.forget(recipients);
    },
  };
}

export type PostsService = ReturnType<typeof createPostsService>;

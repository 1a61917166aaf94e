import { uuidv7 } from 'uuidv7';
import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../users/index.ts';
import type { AudienceTagsRepository } from './audience-tags.repository.ts';
import type { FeedCache } from './feed-cache.ts';
import type { PublishSocialEvent } from './social.events.ts';

export interface AudienceTagsServiceDeps {
  tags: AudienceTagsRepository;
  feedCache: Pick<FeedCache, 'forget'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishSocialEvent;
}

export const tagNotFound = () =>
  new AppError('SOCIAL_TAG_NOT_FOUND', 404, 'No audience tag with this id belongs to you.');

export function createAudienceTagsService(deps: AudienceTagsServiceDeps) {
  const { tags } = deps;
  return {
    async create(actor: Actor, name: string) {
      const tag = await tags.insert({ id: uuidv7(), ownerId: actor.id, name: name.trim() });
      if (!tag)
        throw new AppError('SOCIAL_TAG_EXISTS', 409, 'You already have an audience tag with this name.');
      return tag;
    },

    list: (actor: Actor) => tags.listByOwner(actor.id),

    /** Deleting a tag takes it off every connection and post: those peers may lose posts (a privacy change). */
    async delete(actor: Actor, id: string): Promise<void> {
      const holders = await deps.transaction(async () => {
        const peers = await tags.delete(actor.id, id);
        if (!peers) throw tagNotFound();
        if (peers.length > 0)
          await deps.publish('audience.changed', actor.id, { ownerId: actor.id, viewerIds: peers });
        return peers;
      });
      await deps.feedCache.forget(holders);
    },

    /** Replaces your tags on a connection; the peer then sees exactly your posts for those tags (and `all`). */
    async setConnectionTags(actor: Actor, peerId: string, tagIds: string[]): Promise<string[]> {
      const wanted = [...new Set(tagIds)].sort();
      const removed = await deps.transaction(async () => {
        if (!(await tags.isAccepted(actor.id, peerId)))
          throw new AppError('SOCIAL_CONNECTION_NOT_FOUND', 404, 'You are not connected with this user.');
        if ((await tags.countOwned(actor.id, wanted)) !== wanted.length) throw tagNotFound();
        const current = await tags.connectionTagIds(actor.id, peerId);
        const toRemove = current.filter((id) => !wanted.includes(id));
        const toAdd = wanted.filter((id) => !current.includes(id));
        await tags.removeConnectionTags(actor.id, peerId, toRemove);
        await tags.addConnectionTags(actor.id, peerId, toAdd);
        if (toRemove.length + toAdd.length > 0)
          await deps.publish('audience.changed', actor.id, { ownerId: actor.id, viewerIds: [peerId] });
        return toRemove.length;
      });
      if (removed > 0) await deps.feedCache.forget([peerId]);
      return wanted;
    },
  };
}

export type AudienceTagsService = ReturnType<typeof createAudienceTagsService>;

import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../users/index.ts';
import type { ChannelSource } from './channel-registry.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The pub/sub channel of a user's notifications and hints (`user:<id>` on the WebSocket). */
export const userTopic = (userId: string) => `user:${userId}`;

/** `user:<id>`: only your own. */
export const ownUserSource: ChannelSource = async (actor, id) =>
  actor.id === id ? { topic: userTopic(id) } : undefined;

/**
 * A channel over a resource with progress (a document, a generation job), authorised by the owning module's own
 * read: what that read refuses with 404 (missing or someone else's) is not found here either. The same read gives
 * the snapshot; deltas are what the module publishes on `topic(id)`.
 */
export function progressSource(deps: {
  read: (actor: Actor, id: string) => Promise<unknown>;
  topic: (id: string) => string;
  /** Ids this source may own (UUIDs by default); others go to the kind's next source unread. */
  ids?: RegExp;
}): ChannelSource {
  const ids = deps.ids ?? UUID;
  return async (actor, id) => {
    if (!ids.test(id)) return undefined;
    try {
      await deps.read(actor, id);
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return undefined;
      throw error;
    }
    return { topic: deps.topic(id), snapshot: () => deps.read(actor, id) };
  };
}

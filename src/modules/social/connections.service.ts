import { AppError } from '../../platform/errors.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import type { Actor } from '../users/index.ts';
import type { ConnectionListStatus, ConnectionsRepository } from './connections.repository.ts';
import type { FeedCache } from './feed-cache.ts';
import type { PublishSocialEvent } from './social.events.ts';

export interface ConnectionsServiceDeps {
  connections: ConnectionsRepository;
  feedCache: Pick<FeedCache, 'forget'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishSocialEvent;
}

const userNotFound = () => new AppError('SOCIAL_USER_NOT_FOUND', 404, 'No such user.');
const connectionNotFound = () =>
  new AppError('SOCIAL_CONNECTION_NOT_FOUND', 404, 'No connection or pending request with this user.');
const ownRequest = () =>
  new AppError(
    'SOCIAL_CONNECTION_OWN_REQUEST',
    409,
    'This request is yours: only the user you asked can accept or decline it.',
  );

function notSelf(actor: Actor, userId: string): void {
  if (actor.id === userId)
    throw new AppError('SOCIAL_CONNECTION_SELF', 422, 'You cannot connect with or block yourself.');
}

export function createConnectionsService(deps: ConnectionsServiceDeps) {
  const { connections } = deps;

  /** Both sides' feeds gain or lose each other's posts: a job reconciles them after commit. */
  async function changed(userId: string, peerId: string): Promise<void> {
    await deps.publish('connection.changed', userId, { userId, peerId });
  }

  return {
    /** Asks `peerId` to connect; when they had already asked you, this accepts their request. */
    async request(actor: Actor, peerId: string): Promise<{ status: 'pending' | 'accepted' }> {
      notSelf(actor, peerId);
      return deps.transaction(async () => {
        if (!(await connections.userExists(peerId))) throw userNotFound();
        const state = await connections.pairState(actor.id, peerId);
        // Their block hides you from them: the same answer as an unknown user.
        if (state.theirs === 'blocked') throw userNotFound();
        if (state.mine === 'blocked')
          throw new AppError('SOCIAL_USER_BLOCKED', 409, 'You blocked this user; unblock them first.');
        if (state.mine === 'accepted')
          throw new AppError('SOCIAL_CONNECTION_EXISTS', 409, 'You are already connected.');
        if (state.theirs === 'pending' && (await connections.accept(peerId, actor.id))) {
          await changed(actor.id, peerId);
          return { status: 'accepted' };
        }
        if (state.mine === 'pending' || !(await connections.insertRequest(actor.id, peerId)))
          throw new AppError('SOCIAL_CONNECTION_PENDING', 409, 'You already asked this user to connect.');
        return { status: 'pending' };
      });
    },

    async accept(actor: Actor, requesterId: string): Promise<void> {
      await deps.transaction(async () => {
        if (await connections.accept(requesterId, actor.id)) return changed(actor.id, requesterId);
        const state = await connections.pairState(actor.id, requesterId);
        throw state.mine === 'pending' ? ownRequest() : connectionNotFound();
      });
    },

    async decline(actor: Actor, requesterId: string): Promise<void> {
      const state = await connections.pairState(actor.id, requesterId);
      if (state.theirs !== 'pending') throw state.mine === 'pending' ? ownRequest() : connectionNotFound();
      await connections.deletePair(actor.id, requesterId, ['pending']);
    },

    /** Removes a connection (both rows), or withdraws your own pending request. */
    async remove(actor: Actor, peerId: string): Promise<void> {
      const removed = await deps.transaction(async () => {
        const state = await connections.pairState(actor.id, peerId);
        if (state.mine === 'accepted') {
          await connections.deletePair(actor.id, peerId, ['accepted']);
          await changed(actor.id, peerId);
          return 'connection';
        }
        if (state.mine === 'pending') {
          await connections.deletePair(actor.id, peerId, ['pending']);
          return 'request';
        }
        throw connectionNotFound();
      });
      if (removed === 'connection') await deps.feedCache.forget([actor.id, peerId]);
    },

    /** Blocks `peerId`: any connection or request between you goes, and neither sees the other's posts. */
    async block(actor: Actor, peerId: string): Promise<void> {
      notSelf(actor, peerId);
      await deps.transaction(async () => {
        if (!(await connections.userExists(peerId))) throw userNotFound();
        const removed = await connections.deletePair(actor.id, peerId, ['pending', 'accepted']);
        await connections.insertBlock(actor.id, peerId);
        if (removed > 0) await changed(actor.id, peerId);
      });
      await deps.feedCache.forget([actor.id, peerId]);
    },

    async unblock(actor: Actor, peerId: string): Promise<void> {
      if (!(await connections.deleteBlock(actor.id, peerId)))
        throw new AppError('SOCIAL_BLOCK_NOT_FOUND', 404, 'You have not blocked this user.');
    },

    async list(actor: Actor, query: { status: ConnectionListStatus; limit: number; cursor?: string }) {
      const rows = await connections.list(actor.id, query.status, query.limit, decodeCursor(query.cursor));
      return toPage(rows, query.limit);
    },
  };
}

export type ConnectionsService = ReturnType<typeof createConnectionsService>;

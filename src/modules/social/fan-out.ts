import type { JobResult } from '../../platform/queue/queue.ts';
import type { FanOutRepository } from './fan-out.repository.ts';
import type { FeedCache } from './feed-cache.ts';

export interface FanOutJob {
  postId: string;
}

/** One direction of a pair: `viewerId`'s feed is reconciled with `ownerId`'s posts. */
export interface RefeedJob {
  ownerId: string;
  viewerId: string;
}

/** The WebSocket hint a recipient gets on `user:<id>` when a post enters their feed: ids only, never bodies. */
export interface NewPostHint {
  type: 'feed.new';
  postId: string;
}

/**
 * Feed inbox maintenance, run as jobs. Both handlers are idempotent (entries are a set) and read the current
 * connections and tags, so running late or twice converges on the same entries.
 */
export function createFanOut(deps: {
  repository: FanOutRepository;
  feedCache: Pick<FeedCache, 'forget'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  /** Marks a user active now (committed before their inbox is rebuilt, so fan-out stops skipping them first). */
  markActive: (userId: string) => Promise<void>;
  /** Best effort: a lost hint only delays a post until the cached first page expires. */
  hint: (userId: string, message: NewPostHint) => void;
  chunkSize: number;
  backfillPosts: number;
  inactiveAfterDays: number;
}) {
  const { repository } = deps;
  return {
    /**
     * One entry per active recipient, in chunks of connections so no statement grows with the audience; each new
     * entry's recipient gets a hint. Inactive recipients are skipped and marked, and rebuilt when they return.
     */
    async fanOut(job: FanOutJob): Promise<JobResult> {
      if (!(await repository.insertAuthorEntry(job.postId))) return 'skipped';
      let chunk: { examined: number; last: string | undefined; reached: string[] } = {
        examined: 0,
        last: undefined,
        reached: [],
      };
      do {
        chunk = await repository.insertRecipientChunk(
          job.postId,
          chunk.last,
          deps.chunkSize,
          deps.inactiveAfterDays,
        );
        for (const userId of chunk.reached) deps.hint(userId, { type: 'feed.new', postId: job.postId });
      } while (chunk.examined === deps.chunkSize);
      return 'done';
    },

    /**
     * Drops what the viewer may no longer see of the owner's posts and backfills the latest they may; a changed
     * feed drops its cached first page, so posts the viewer gained show at once rather than on expiry.
     */
    async refeed(job: RefeedJob): Promise<JobResult> {
      const removed = await repository.removeInvisible(job.ownerId, job.viewerId);
      const added = await repository.backfill(job.ownerId, job.viewerId, deps.backfillPosts);
      if (removed + added > 0) await deps.feedCache.forget([job.viewerId]);
      return 'done';
    },

    /**
     * A user fan-out skipped is back: marked active first (committed, so every later fan-out includes them), then
     * their newest `backfillPosts` visible posts fill the inbox and older ones are left to the pull query. Until
     * this ends their feed is pulled, so there is no gap at any moment.
     */
    async rebuild(userId: string): Promise<void> {
      await deps.markActive(userId);
      await deps.transaction(async () => {
        if (await repository.lockSkipped(userId)) await repository.rebuild(userId, deps.backfillPosts);
      });
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;

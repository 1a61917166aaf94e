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

/**
 * Feed inbox maintenance, run as jobs. Both handlers are idempotent (entries are a set) and read the current
 * connections and tags, so running late or twice converges on the same entries.
 */
export function createFanOut(deps: {
  repository: FanOutRepository;
  feedCache: Pick<FeedCache, 'forget'>;
  chunkSize: number;
  backfillPosts: number;
}) {
  const { repository } = deps;
  return {
    /** One entry per recipient, in chunks of connections so no statement grows with the audience. */
    async fanOut(job: FanOutJob): Promise<JobResult> {
      if (!(await repository.insertAuthorEntry(job.postId))) return 'skipped';
      let chunk: { examined: number; last: string | undefined } = { examined: 0, last: undefined };
      do {
        chunk = await repository.insertRecipientChunk(job.postId, chunk.last, deps.chunkSize);
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
  };
}

export type FanOut = ReturnType<typeof createFanOut>;

import type { Cache } from '../../platform/cache/cache.ts';

/** The cached first feed page of a user: post ids and their feed positions only, never bodies. */
export interface CachedFirstPage {
  limit: number;
  entries: [postId: string, createdAt: string][];
  /** Whether the scan that built it reached the end of the user's entries. */
  exhausted: boolean;
}

/**
 * The `feedFirstPage` namespace (15 s). It guards access, so it is invalidated by key — on privacy changes only;
 * every read re-checks visibility anyway, the cache only saves the range scan.
 */
export function createFeedCache(cache: Pick<Cache, 'get' | 'set' | 'delete'>) {
  return {
    read: (userId: string) => cache.get<CachedFirstPage>('feedFirstPage', userId),
    write: (userId: string, page: CachedFirstPage) => cache.set('feedFirstPage', userId, page),
    /**
     * Called after the privacy change committed. With Redis down the delete fails (this process's memory copy is
     * gone already): the change must still answer as made — every read re-checks visibility, so a page that
     * outlives its invalidation can only miss posts until it expires, never show one it should not.
     */
    async forget(userIds: Iterable<string>): Promise<void> {
      await Promise.all(
        [...new Set(userIds)].map((id) => cache.delete('feedFirstPage', id).catch(() => undefined)),
      );
    },
  };
}

export type FeedCache = ReturnType<typeof createFeedCache>;

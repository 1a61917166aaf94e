import { decodeCursor, encodeCursor, type Cursor } from '../../platform/pagination.ts';
import type { Actor } from '../users/index.ts';
import type { CachedFirstPage, FeedCache } from './feed-cache.ts';
import type { FeedEntryRow, FeedRepository, PullBound } from './feed.repository.ts';
import type { PhotoUrls } from './photo-urls.ts';

export interface FeedItem {
  id: string;
  author_id: string;
  author_name: string;
  body: string;
  audience: 'all' | 'tags';
  created_at: Date;
  photos: { ord: number; url: string }[];
  comment_count: number;
  commented: boolean;
}

type VisibleEntry = FeedEntryRow & { author_id: string; body: string; audience: 'all' | 'tags' };

/** What the rounds so far have found: visible entries in order, and the entries the re-check dropped. */
interface Scan {
  visible: VisibleEntry[];
  dropped: string[];
  /** The last entry examined: the next round scans after it. */
  position: Cursor | undefined;
  exhausted: boolean;
  /** Set once the inbox ran out above where it is complete: the scan goes on with the pull query. */
  pull: PullBound | undefined;
}

export function createFeedService(deps: {
  feed: FeedRepository;
  feedCache: Pick<FeedCache, 'read' | 'write'>;
  photoUrls: Pick<PhotoUrls, 'sign'>;
  /** Refills the inbox of a user fan-out skipped, now that they are back (their feed is pulled until then). */
  rebuildInbox: (userId: string) => Promise<void>;
}) {
  const { feed } = deps;

  function absorb(scan: Scan, rows: FeedEntryRow[]): void {
    for (const row of rows) {
      if (row.visible) scan.visible.push(row as VisibleEntry);
      else scan.dropped.push(row.id);
    }
    const last = rows.at(-1);
    if (last) scan.position = { createdAt: last.created_at, id: last.id };
  }

  /**
   * One statement for `count` more after the scan's position: the inbox range scan, or — once the inbox ran out
   * above where it is complete — the pull query.
   */
  async function scanFurther(viewerId: string, scan: Scan, count: number): Promise<void> {
    if (scan.pull) {
      const rows = await feed.pull(viewerId, scan.pull, scan.position, count);
      absorb(scan, rows);
      scan.exhausted = rows.length < count;
      return;
    }
    const { rows, pull } = await feed.scan(viewerId, scan.position, count);
    absorb(scan, rows);
    if (rows.length === count) return;
    scan.pull = pull;
    scan.exhausted = !pull;
  }

  /** Round one: the cached first page's entries re-checked, or the range scan. */
  async function firstRound(
    viewerId: string,
    after: Cursor | undefined,
    want: number,
    cached?: CachedFirstPage,
  ) {
    const scan: Scan = { visible: [], dropped: [], position: after, exhausted: false, pull: undefined };
    if (!cached) {
      await scanFurther(viewerId, scan, want);
      return scan;
    }
    absorb(
      scan,
      await feed.byPostIds(
        viewerId,
        cached.entries.map(([id]) => id),
      ),
    );
    const [lastId, lastCreatedAt] = cached.entries.at(-1)!;
    scan.position = { createdAt: new Date(lastCreatedAt), id: lastId };
    scan.exhausted = cached.exhausted;
    return scan;
  }

  return {
    /**
     * A feed page in exactly 4 statements (page with the visibility re-check, authors, photos, comment stats).
     * When the re-check drops entries a lagging job left behind, each refill round adds 2: the dropped entries
     * are pruned (so the next request does not pay for them again) and the scan goes on after them. The first
     * page's entry ids are cached; visibility and bodies are read again every time. A page reaching below where
     * the inbox is complete (older than a backfill) adds 1: the pull query. A user fan-out skipped while inactive
     * is served by the pull query and gets their inbox rebuilt (5 more statements, once).
     */
    async page(actor: Actor, query: { limit: number; cursor?: string }) {
      const after = decodeCursor(query.cursor);
      const want = query.limit + 1;
      const cachedPage = after ? undefined : await deps.feedCache.read(actor.id);
      const cached =
        cachedPage?.limit === query.limit && cachedPage.entries.length > 0 ? cachedPage : undefined;
      const scan = await firstRound(actor.id, after, want, cached);
      const refilled = scan.visible.length < want && !scan.exhausted;
      while (scan.visible.length < want && !scan.exhausted) {
        if (scan.dropped.length > 0) await feed.pruneInvisible(actor.id, scan.dropped);
        scan.dropped = [];
        await scanFurther(actor.id, scan, want - scan.visible.length);
      }
      if (scan.pull?.skipped) await deps.rebuildInbox(actor.id);
      if (!after && (!cached || refilled)) {
        await deps.feedCache.write(actor.id, {
          limit: query.limit,
          entries: scan.visible.map((e) => [e.id, e.created_at.toISOString()]),
          exhausted: scan.exhausted,
        });
      }
      const entries = scan.visible.slice(0, query.limit);
      const last = entries.at(-1);
      return {
        items: await hydrate(actor.id, entries),
        nextCursor: scan.visible.length > query.limit && last ? encodeCursor(last) : null,
      };
    },
  };

  /** Authors, photos and comment stats for the whole page: one statement each; the photo URLs in one batch. */
  async function hydrate(viewerId: string, entries: VisibleEntry[]): Promise<FeedItem[]> {
    if (entries.length === 0) return [];
    const postIds = entries.map((e) => e.id);
    const [authors, photos, stats] = await Promise.all([
      feed.authors([...new Set(entries.map((e) => e.author_id))]),
      feed.photos(postIds),
      feed.commentStats(viewerId, postIds),
    ]);
    const urls = await deps.photoUrls.sign(photos.map((p) => p.blob_key));
    const names = new Map(authors.map((a) => [a.id, a.display_name]));
    const statsOf = new Map(stats.map((s) => [s.post_id, s]));
    return entries.map((e) => ({
      id: e.id,
      author_id: e.author_id,
      author_name: names.get(e.author_id) ?? '',
      body: e.body,
      audience: e.audience,
      created_at: e.created_at,
      photos: photos
        .filter((p) => p.post_id === e.id)
        .map((p) => ({ ord: p.ord, url: urls.get(p.blob_key)! })),
      comment_count: statsOf.get(e.id)?.comment_count ?? 0,
      commented: statsOf.get(e.id)?.commented ?? false,
    }));
  }
}

export type FeedService = ReturnType<typeof createFeedService>;

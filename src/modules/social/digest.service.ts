import type { JobResult } from '../../platform/queue/queue.ts';
import type { Actor } from '../users/index.ts';
import type { DigestSummarizer, DigestSummary } from './digest-summary.ts';
import type { DigestAuthorRow, DigestPostRow, DigestRepository } from './digest.repository.ts';
import type { PhotoUrls } from './photo-urls.ts';

/** Posts shown as the digest's top posts, and read by its summary. */
const TOP_POSTS = 5;
const SUMMARY_POSTS = 20;
/** Recipients the daily job reads per statement. */
const RECIPIENT_PAGE = 500;
const DAY_MS = 24 * 3600 * 1000;

export interface Digest {
  since: Date;
  until: Date;
  postCount: number;
  authors: DigestAuthorRow[];
  topPosts: (DigestPostRow & { photos: { ord: number; url: string }[] })[];
  summary: DigestSummary | null;
}

/**
 * The digest: posts of connections the reader may see, grouped by author, the most commented ones, and a short
 * summary. A read is 3 statements whatever the number of posts (window, groups, top posts; photo keys come with
 * the top posts and are signed in one batch). The daily job delivers each active reader's digest once a day.
 */
export function createDigestService(deps: {
  digest: DigestRepository;
  summary: DigestSummarizer;
  photoUrls: Pick<PhotoUrls, 'sign'>;
  now?: () => number;
}) {
  const { digest } = deps;
  const now = deps.now ?? Date.now;

  async function compose(viewerId: string, since: Date, until: Date) {
    const [authors, posts] = await Promise.all([
      digest.authors(viewerId, since, until),
      digest.topPosts(viewerId, since, until, SUMMARY_POSTS),
    ]);
    const summary = await deps.summary.summarize(
      viewerId,
      posts.map((p) => ({ author: p.author_name, body: p.body })),
    );
    const postCount = authors.reduce((sum, a) => sum + a.post_count, 0);
    return { authors, posts, summary, postCount };
  }

  return {
    /** Since `since`, else since the start of the last delivered digest (else the last day), until now. */
    async read(actor: Actor, query: { since?: Date }): Promise<Digest> {
      const window = await digest.window(actor.id, query.since);
      const { authors, posts, summary, postCount } = await compose(actor.id, window.since, window.until);
      const top = posts.slice(0, TOP_POSTS);
      const urls = await deps.photoUrls.sign(top.flatMap((p) => p.photo_keys));
      return {
        since: window.since,
        until: window.until,
        postCount,
        authors,
        topPosts: top.map((p) => ({
          ...p,
          photos: p.photo_keys.map((key, ord) => ({ ord, url: urls.get(key)! })),
        })),
        summary,
      };
    },

    /**
     * The daily job: each reader with new posts of connections gets the digest since the end of their last one
     * (its summary computed now, so their next read finds it cached), recorded once per UTC day — a second run,
     * or a retry, skips whoever is recorded.
     */
    async deliverDaily(): Promise<JobResult> {
      const day = new Date(now()).toISOString().slice(0, 10);
      const activeSince = new Date(now() - DAY_MS);
      let after: string | undefined;
      let delivered = 0;
      for (;;) {
        const readers = await digest.activeRecipients(activeSince, after, RECIPIENT_PAGE);
        for (const userId of readers) {
          if (await digest.delivered(userId, day)) continue;
          const window = await digest.window(userId, undefined);
          const { postCount } = await compose(userId, window.nextSince, window.until);
          if (await digest.recordDelivery({ userId, day, since: window.nextSince, postCount })) delivered++;
        }
        if (readers.length < RECIPIENT_PAGE) break;
        after = readers.at(-1);
      }
      return delivered > 0 ? 'done' : 'skipped';
    },
  };
}

export type DigestService = ReturnType<typeof createDigestService>;

import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { pullVisiblePosts, SKIPPED_AT, SKIPPED_ID } from './feed-pull.repository.ts';
import { visibleTo } from './visibility.repository.ts';

/** A feed entry with the visibility re-check; author and body are null unless the viewer may see the post. */
export interface FeedEntryRow {
  id: string;
  created_at: Date;
  visible: boolean;
  author_id: string | null;
  body: string | null;
  audience: 'all' | 'tags' | null;
}

/**
 * Where the viewer's inbox stops being complete: posts at or before `below` are read by the pull query (all of
 * them when fan-out `skipped` the viewer while inactive). Undefined when the inbox holds every post.
 */
export type PullBound = { below: Cursor; skipped: false } | { below: undefined; skipped: true };

/** A page's columns, null-ing what the viewer may not see. */
const PAGE_COLUMNS = sql`id, created_at, visible,
  case when visible then author_id end as author_id,
  case when visible then body end as body,
  case when visible then audience end as audience`;

const keysetAfter = (after: Cursor | undefined, createdAt: string, id: string) =>
  after ? sql`(${sql.ref(createdAt)}, ${sql.ref(id)}) < (${after.createdAt}, ${after.id})` : sql`true`;

/**
 * Feed reads: one statement for the page — an index range scan on (user_id, created_at desc, post_id desc) joined
 * with the visibility re-check against current connections and tags, down to where the viewer's inbox is complete
 * (`feed_inboxes`) — then one per relation for the whole page. Below that point, the pull query reads posts.
 */
export function createFeedRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();

  return {
    /**
     * The next `limit` inbox entries after the cursor, newest first, visible or not, and where the inbox stops
     * being complete. One statement: the mark row is left-joined, so it comes back even without entries.
     */
    async scan(viewerId: string, after: Cursor | undefined, limit: number) {
      const { rows } = await sql<
        Omit<FeedEntryRow, 'id'> & {
          id: string | null;
          mark_at: Date | null;
          mark_id: string | null;
          skipped: boolean;
        }
      >`
        select ${PAGE_COLUMNS}, mark_at, mark_id, skipped
        from (
          select coalesce(fi.complete_after_at, '-infinity') as after_at,
            coalesce(fi.complete_after_id, ${SKIPPED_ID}) as after_id,
            case when fi.complete_after_at < ${SKIPPED_AT} then fi.complete_after_at end as mark_at,
            case when fi.complete_after_at < ${SKIPPED_AT} then fi.complete_after_id end as mark_id,
            coalesce(fi.complete_after_at = ${SKIPPED_AT}, false) as skipped
          from (select 1) one left join feed_inboxes fi on fi.user_id = ${viewerId}
        ) mark
        left join lateral (
          select fe.post_id as id, fe.created_at, p.author_id, p.body, p.audience,
            ${visibleTo('p', viewerId)} as visible
          from feed_entries fe join posts p on p.id = fe.post_id
          where fe.user_id = ${viewerId} and ${keysetAfter(after, 'fe.created_at', 'fe.post_id')}
            and (fe.created_at, fe.post_id) > (mark.after_at, mark.after_id)
          order by fe.created_at desc, fe.post_id desc
          limit ${limit}
        ) page on true
        order by created_at desc, id desc`.execute(db());
      const mark = rows[0]!;
      const pull: PullBound | undefined = mark.skipped
        ? { below: undefined, skipped: true }
        : mark.mark_at && mark.mark_id
          ? { below: { createdAt: mark.mark_at, id: mark.mark_id }, skipped: false }
          : undefined;
      const entries = rows.filter((row): row is typeof row & { id: string } => row.id !== null);
      return {
        rows: entries.map(({ mark_at: _at, mark_id: _id, skipped: _skipped, ...row }) => row),
        pull,
      };
    },

    /** The next `limit` posts after the cursor, at or below the bound, that the viewer may see (the pull query). */
    async pull(viewerId: string, bound: PullBound, after: Cursor | undefined, limit: number) {
      const below = bound.below
        ? sql`(p.created_at, p.id) <= (${bound.below.createdAt}, ${bound.below.id})`
        : sql`true`;
      const { rows } = await sql<FeedEntryRow>`
        select *, true as visible
        from (${pullVisiblePosts(viewerId, sql`${below} and ${keysetAfter(after, 'p.created_at', 'p.id')}`, limit)})
          pulled
        order by created_at desc, id desc`.execute(db());
      return rows;
    },

    /** These posts (a cached first page), re-checked; they may come from the inbox or from the pull query. */
    async byPostIds(viewerId: string, postIds: string[]): Promise<FeedEntryRow[]> {
      const { rows } = await sql<FeedEntryRow>`
        select ${PAGE_COLUMNS}
        from (
          select p.id, p.created_at, p.author_id, p.body, p.audience, ${visibleTo('p', viewerId)} as visible
          from posts p where p.id in (${sql.join(postIds)})
          offset 0 -- a fence: unflattened, the rule is evaluated once per row rather than once per column using it
        ) page
        order by created_at desc, id desc`.execute(db());
      return rows;
    },

    /** Removes entries the re-check dropped, if the viewer still may not see them (a lagging job's leftovers). */
    async pruneInvisible(viewerId: string, postIds: string[]): Promise<void> {
      await sql`
        delete from feed_entries fe using posts p
        where fe.user_id = ${viewerId} and fe.post_id in (${sql.join(postIds)}) and p.id = fe.post_id
          and not ${visibleTo('p', viewerId)}`.execute(db());
    },

    authors(ids: string[]) {
      return db().selectFrom('users').select(['id', 'display_name']).where('id', 'in', ids).execute();
    },

    photos(postIds: string[]) {
      return db()
        .selectFrom('post_photos')
        .select(['post_id', 'blob_key', 'ord'])
        .where('post_id', 'in', postIds)
        .orderBy('post_id')
        .orderBy('ord')
        .execute();
    },

    /** Comment counts and whether the viewer commented, for every post of the page in one statement. */
    commentStats(viewerId: string, postIds: string[]) {
      return db()
        .selectFrom('comments')
        .select([
          'post_id',
          sql<number>`count(*)::int`.as('comment_count'),
          sql<boolean>`bool_or(author_id = ${viewerId})`.as('commented'),
        ])
        .where('post_id', 'in', postIds)
        .groupBy('post_id')
        .execute();
    },
  };
}

export type FeedRepository = ReturnType<typeof createFeedRepository>;

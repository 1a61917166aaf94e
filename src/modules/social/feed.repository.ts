import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Cursor } from '../../platform/pagination.ts';
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
 * Feed reads: one statement for the page (index range scan on (user_id, created_at desc, post_id desc) joined
 * with the visibility re-check against current connections and tags), then one per relation for the whole page.
 */
export function createFeedRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();

  function entries(viewerId: string, where: RawBuilder<unknown>, limit: number): Promise<FeedEntryRow[]> {
    return sql<FeedEntryRow>`
      select id, created_at, visible,
        case when visible then author_id end as author_id,
        case when visible then body end as body,
        case when visible then audience end as audience
      from (
        select fe.post_id as id, fe.created_at, p.author_id, p.body, p.audience,
          ${visibleTo('p', viewerId)} as visible
        from feed_entries fe join posts p on p.id = fe.post_id
        where fe.user_id = ${viewerId} and ${where}
        order by fe.created_at desc, fe.post_id desc
        limit ${limit}
      ) page
      order by created_at desc, id desc`
      .execute(db())
      .then((result) => result.rows);
  }

  return {
    /** The next `limit` entries after the cursor, newest first, visible or not. */
    scan(viewerId: string, after: Cursor | undefined, limit: number) {
      const where = after ? sql`(fe.created_at, fe.post_id) < (${after.createdAt}, ${after.id})` : sql`true`;
      return entries(viewerId, where, limit);
    },

    /** The viewer's entries among these post ids (a cached first page), re-checked. */
    byPostIds(viewerId: string, postIds: string[]) {
      return entries(viewerId, sql`fe.post_id in (${sql.join(postIds)})`, postIds.length);
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

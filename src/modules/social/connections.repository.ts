import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Cursor } from '../../platform/pagination.ts';

export type ConnectionListStatus = 'accepted' | 'incoming' | 'outgoing' | 'blocked';

export interface ConnectionListRow {
  id: string;
  display_name: string;
  status: 'pending' | 'accepted' | 'blocked';
  created_at: Date;
  tag_ids: string[];
}

/** The two directed rows between a pair, as seen from `userId`. */
export interface PairState {
  mine: 'pending' | 'accepted' | 'blocked' | undefined;
  theirs: 'pending' | 'accepted' | 'blocked' | undefined;
}

export function createConnectionsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    async userExists(id: string): Promise<boolean> {
      return (
        (await db().selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
      );
    },

    async pairState(userId: string, peerId: string): Promise<PairState> {
      const rows = await db()
        .selectFrom('connections')
        .select(['user_id', 'status'])
        .where((eb) =>
          eb.or([
            eb.and([eb('user_id', '=', userId), eb('peer_id', '=', peerId)]),
            eb.and([eb('user_id', '=', peerId), eb('peer_id', '=', userId)]),
          ]),
        )
        .execute();
      return {
        mine: rows.find((r) => r.user_id === userId)?.status,
        theirs: rows.find((r) => r.user_id === peerId)?.status,
      };
    },

    /** False when a row already exists for this direction (a concurrent request won). */
    async insertRequest(userId: string, peerId: string): Promise<boolean> {
      const row = await db()
        .insertInto('connections')
        .values({ user_id: userId, peer_id: peerId, status: 'pending' })
        .onConflict((oc) => oc.doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Turns `requester`'s pending request to `addressee` into two accepted rows; false if there was none. */
    async accept(requesterId: string, addresseeId: string): Promise<boolean> {
      const taken = await db()
        .deleteFrom('connections')
        .where('user_id', '=', requesterId)
        .where('peer_id', '=', addresseeId)
        .where('status', '=', 'pending')
        .returning('user_id')
        .executeTakeFirst();
      if (!taken) return false;
      await db()
        .insertInto('connections')
        .values([
          { user_id: requesterId, peer_id: addresseeId, status: 'accepted' },
          { user_id: addresseeId, peer_id: requesterId, status: 'accepted' },
        ])
        .onConflict((oc) =>
          oc
            .columns(['user_id', 'peer_id'])
            .doUpdateSet({ status: 'accepted' })
            .where('connections.status', '=', 'pending'),
        )
        .execute();
      return true;
    },

    /** Deletes the pair's rows of these statuses (both directions); how many went. */
    async deletePair(userId: string, peerId: string, statuses: ('pending' | 'accepted')[]): Promise<number> {
      const rows = await db()
        .deleteFrom('connections')
        .where((eb) =>
          eb.or([
            eb.and([eb('user_id', '=', userId), eb('peer_id', '=', peerId)]),
            eb.and([eb('user_id', '=', peerId), eb('peer_id', '=', userId)]),
          ]),
        )
        .where('status', 'in', statuses)
        .returning('user_id')
        .execute();
      return rows.length;
    },

    async insertBlock(userId: string, peerId: string): Promise<void> {
      await db()
        .insertInto('connections')
        .values({ user_id: userId, peer_id: peerId, status: 'blocked' })
        .onConflict((oc) => oc.columns(['user_id', 'peer_id']).doUpdateSet({ status: 'blocked' }))
        .execute();
    },

    async deleteBlock(userId: string, peerId: string): Promise<boolean> {
      const row = await db()
        .deleteFrom('connections')
        .where('user_id', '=', userId)
        .where('peer_id', '=', peerId)
        .where('status', '=', 'blocked')
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** One keyset page (limit + 1 rows) with each peer's name and, for accepted ones, your tags on them. */
    list(userId: string, status: ConnectionListStatus, limit: number, cursor: Cursor | undefined) {
      const incoming = status === 'incoming';
      const self = incoming ? 'peer_id' : 'user_id';
      const other = incoming ? 'user_id' : 'peer_id';
      const stored = status === 'incoming' || status === 'outgoing' ? 'pending' : status;
      let query = db()
        .selectFrom('connections as c')
        .innerJoin('users as u', 'u.id', `c.${other}`)
        .select([
          `c.${other} as id`,
          'u.display_name',
          'c.status',
          'c.created_at',
          sql<string[]>`array(
            select ct.tag_id from connection_tags ct
            where ct.owner_id = ${userId} and ct.peer_id = ${sql.ref(`c.${other}`)} order by ct.tag_id
          )`.as('tag_ids'),
        ])
        .where(`c.${self}`, '=', userId)
        .where('c.status', '=', stored);
      if (cursor) {
        query = query.where(
          sql<boolean>`(c.created_at, ${sql.ref(`c.${other}`)}) < (${cursor.createdAt}, ${cursor.id})`,
        );
      }
      return query
        .orderBy('c.created_at', 'desc')
        .orderBy(`c.${other}`, 'desc')
        .limit(limit + 1)
        .execute() as Promise<ConnectionListRow[]>;
    },
  };
}

export type ConnectionsRepository = ReturnType<typeof createConnectionsRepository>;

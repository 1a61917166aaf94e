import type { Database } from '../../platform/db/database.ts';

export interface AudienceTagRow {
  id: string;
  name: string;
  created_at: Date;
}

export function createAudienceTagsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** Undefined when the owner already has a tag of that name (case-insensitive). */
    insert(tag: { id: string; ownerId: string; name: string }): Promise<AudienceTagRow | undefined> {
      return db()
        .insertInto('audience_tags')
        .values({ id: tag.id, owner_id: tag.ownerId, name: tag.name })
        .onConflict((oc) => oc.doNothing())
        .returning(['id', 'name', 'created_at'])
        .executeTakeFirst();
    },

    listByOwner(ownerId: string): Promise<AudienceTagRow[]> {
      return db()
        .selectFrom('audience_tags')
        .select(['id', 'name', 'created_at'])
        .where('owner_id', '=', ownerId)
        .orderBy('name')
        .orderBy('id')
        .execute();
    },

    /** How many of these ids are tags of the owner. */
    async countOwned(ownerId: string, tagIds: string[]): Promise<number> {
      if (tagIds.length === 0) return 0;
      const rows = await db()
        .selectFrom('audience_tags')
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('id', 'in', tagIds)
        .execute();
      return rows.length;
    },

    /** Deletes the owner's tag; the peers that held it, or undefined when there was no such tag. */
    async delete(ownerId: string, id: string): Promise<string[] | undefined> {
      const holders = await db()
        .selectFrom('connection_tags')
        .select('peer_id')
        .where('owner_id', '=', ownerId)
        .where('tag_id', '=', id)
        .execute();
      const deleted = await db()
        .deleteFrom('audience_tags')
        .where('owner_id', '=', ownerId)
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      return deleted ? holders.map((h) => h.peer_id) : undefined;
    },

    async isAccepted(ownerId: string, peerId: string): Promise<boolean> {
      const row = await db()
        .selectFrom('connections')
        .select('user_id')
        .where('user_id', '=', ownerId)
        .where('peer_id', '=', peerId)
        .where('status', '=', 'accepted')
        .executeTakeFirst();
      return row !== undefined;
    },

    async connectionTagIds(ownerId: string, peerId: string): Promise<string[]> {
      const rows = await db()
        .selectFrom('connection_tags')
        .select('tag_id')
        .where('owner_id', '=', ownerId)
        .where('peer_id', '=', peerId)
        .execute();
      return rows.map((r) => r.tag_id);
    },

    async removeConnectionTags(ownerId: string, peerId: string, tagIds: string[]): Promise<void> {
      if (tagIds.length === 0) return;
      await db()
        .deleteFrom('connection_tags')
        .where('owner_id', '=', ownerId)
        .where('peer_id', '=', peerId)
        .where('tag_id', 'in', tagIds)
        .execute();
    },

    async addConnectionTags(ownerId: string, peerId: string, tagIds: string[]): Promise<void> {
      if (tagIds.length === 0) return;
      await db()
        .insertInto('connection_tags')
        .values(tagIds.map((tagId) => ({ owner_id: ownerId, peer_id: peerId, tag_id: tagId })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
  };
}

export type AudienceTagsRepository = ReturnType<typeof createAudienceTagsRepository>;

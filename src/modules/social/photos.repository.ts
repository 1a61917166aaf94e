import type { Database } from '../../platform/db/database.ts';

export interface PhotoSlotRow {
  blob_key: string;
  owner_id: string;
  content_type: string;
  max_bytes: number;
  expires_at: Date;
  post_id: string | null;
}

/** Upload slots (photo_uploads) and the photos a post took from them (post_photos). */
export function createPhotosRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    async insertSlots(
      slots: { blobKey: string; ownerId: string; contentType: string; maxBytes: number; expiresAt: Date }[],
    ): Promise<void> {
      await db()
        .insertInto('photo_uploads')
        .values(
          slots.map((s) => ({
            blob_key: s.blobKey,
            owner_id: s.ownerId,
            content_type: s.contentType,
            max_bytes: s.maxBytes,
            expires_at: s.expiresAt,
          })),
        )
        .execute();
    },

    findSlots(keys: string[]): Promise<PhotoSlotRow[]> {
      return db()
        .selectFrom('photo_uploads')
        .select(['blob_key', 'owner_id', 'content_type', 'max_bytes', 'expires_at', 'post_id'])
        .where('blob_key', 'in', keys)
        .execute();
    },

    /**
     * Gives the owner's free, unexpired slots to the post and records its photos in order; the number of slots
     * taken (fewer than asked when a concurrent post took one first).
     */
    async attach(postId: string, ownerId: string, keys: string[], now: Date): Promise<number> {
      const taken = await db()
        .updateTable('photo_uploads')
        .set({ post_id: postId })
        .where('blob_key', 'in', keys)
        .where('owner_id', '=', ownerId)
        .where('post_id', 'is', null)
        .where('expires_at', '>', now)
        .returning('blob_key')
        .execute();
      if (taken.length !== keys.length) return taken.length;
      await db()
        .insertInto('post_photos')
        .values(keys.map((key, ord) => ({ post_id: postId, blob_key: key, ord })))
        .execute();
      return taken.length;
    },

    async deleteSlots(keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      await db().deleteFrom('photo_uploads').where('blob_key', 'in', keys).execute();
    },

    /** Slots that expired unused, oldest first; at most `limit`. */
    async expiredUnused(now: Date, limit: number): Promise<string[]> {
      const rows = await db()
        .selectFrom('photo_uploads')
        .select('blob_key')
        .where('post_id', 'is', null)
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.blob_key);
    },

    /** Keys of the blobs a deleted post (or a deleted user, `owner`) leaves behind; at most `limit`. */
    async keysOf(by: { postId: string } | { ownerId: string }, limit: number): Promise<string[]> {
      const rows = await db()
        .selectFrom('photo_uploads')
        .select('blob_key')
        .$call((q) =>
          'postId' in by ? q.where('post_id', '=', by.postId) : q.where('owner_id', '=', by.ownerId),
        )
        .orderBy('blob_key')
        .limit(limit)
        .execute();
      return rows.map((r) => r.blob_key);
    },
  };
}

export type PhotosRepository = ReturnType<typeof createPhotosRepository>;

import { sql } from 'kysely';
import { visibleTo } from '../../modules/social/index.ts';
import type { Database } from '../../platform/db/database.ts';

/**
 * Bulk writes of the seeded social graph: multi-row inserts that skip rows a previous seed made (ids are derived
 * from names), each returning how many rows were new. Only the seed uses it; the API writes through the social
 * module's services.
 */
export function createSocialSeedRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  const inserted = (rows: unknown[]) => rows.length;
  return {
    async passwordHashOf(userId: string): Promise<string | null> {
      const row = await db()
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', userId)
        .executeTakeFirst();
      return row?.password_hash ?? null;
    },

    async idsByEmail(emails: string[]): Promise<Map<string, string>> {
      const rows = await db()
        .selectFrom('users')
        .select(['id', 'email'])
        .where('email', 'in', emails)
        .execute();
      return new Map(rows.map((r) => [r.email, r.id]));
    },

    async insertUsers(rows: { id: string; email: string; displayName: string }[], passwordHash: string) {
      const values = rows.map((r) => ({
        id: r.id,
        email: r.email,
        display_name: r.displayName,
        password_hash: passwordHash,
      }));
      return inserted(
        await db()
          .insertInto('users')
          .values(values)
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
    },

    async insertConnections(rows: { userId: string; peerId: string; createdAt: Date }[]) {
      const values = rows.map((r) => ({
        user_id: r.userId,
        peer_id: r.peerId,
        status: 'accepted' as const,
        created_at: r.createdAt,
      }));
      const query = db()
        .insertInto('connections')
        .values(values)
        .onConflict((oc) => oc.doNothing());
      return inserted(await query.returning('user_id').execute());
    },

    async insertAudienceTags(rows: { id: string; ownerId: string; name: string; createdAt: Date }[]) {
      const values = rows.map((r) => ({
        id: r.id,
        owner_id: r.ownerId,
        name: r.name,
        created_at: r.createdAt,
      }));
      const query = db()
        .insertInto('audience_tags')
        .values(values)
        .onConflict((oc) => oc.doNothing());
      return inserted(await query.returning('id').execute());
    },

    async insertConnectionTags(rows: { ownerId: string; peerId: string; tagId: string }[]) {
      const values = rows.map((r) => ({ owner_id: r.ownerId, peer_id: r.peerId, tag_id: r.tagId }));
      const query = db()
        .insertInto('connection_tags')
        .values(values)
        .onConflict((oc) => oc.doNothing());
      return inserted(await query.returning('tag_id').execute());
    },

    /** Posts and their audience tags; a post without tags is for all connections. */
    async insertPosts(
      rows: { id: string; authorId: string; body: string; tagIds: string[]; createdAt: Date }[],
    ) {
      const values = rows.map((r) => ({
        id: r.id,
        author_id: r.authorId,
        body: r.body,
        audience: r.tagIds.length > 0 ? ('tags' as const) : ('all' as const),
        created_at: r.createdAt,
      }));
      const query = db()
        .insertInto('posts')
        .values(values)
        .onConflict((oc) => oc.doNothing());
      const count = inserted(await query.returning('id').execute());
      const audience = rows.flatMap((r) => r.tagIds.map((tagId) => ({ post_id: r.id, tag_id: tagId })));
      if (audience.length > 0) {
        await db()
          .insertInto('post_audience_tags')
          .values(audience)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return count;
    },

    async insertComments(
      rows: { id: string; postId: string; authorId: string; body: string; createdAt: Date }[],
    ) {
      const values = rows.map((r) => ({
        id: r.id,
        post_id: r.postId,
        author_id: r.authorId,
        body: r.body,
        created_at: r.createdAt,
      }));
      const query = db()
        .insertInto('comments')
        .values(values)
        .onConflict((oc) => oc.doNothing());
      return inserted(await query.returning('id').execute());
    },

    /** Which of these posts exist and have no photo yet, with their authors. */
    async postsWithoutPhotos(postIds: string[]): Promise<{ id: string; authorId: string }[]> {
      const rows = await db()
        .selectFrom('posts as p')
        .select(['p.id', 'p.author_id'])
        .where('p.id', 'in', postIds)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb.selectFrom('post_photos as ph').select('ph.post_id').whereRef('ph.post_id', '=', 'p.id'),
            ),
          ),
        )
        .execute();
      return rows.map((r) => ({ id: r.id, authorId: r.author_id }));
    },

    /** Stored photos as the API leaves them: an upload slot taken by the post, and the post's photo row. */
    async insertPhotos(photos: { key: string; postId: string; ord: number; ownerId: string; png: Buffer }[]) {
      const now = new Date();
      await db()
        .insertInto('photo_uploads')
        .values(
          photos.map((p) => ({
            blob_key: p.key,
            owner_id: p.ownerId,
            content_type: 'image/png',
            max_bytes: p.png.length,
            expires_at: now,
            post_id: p.postId,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
      await db()
        .insertInto('post_photos')
        .values(photos.map((p) => ({ post_id: p.postId, blob_key: p.key, ord: p.ord })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    /**
     * What the fan-out job writes for these authors' posts, set-based: an entry for the author and for every
     * connection the visibility rule lets see the post.
     */
    async insertFeedEntries(authorIds: string[]): Promise<number> {
      const { rows } = await sql<{ count: number }>`
        with written as (
          insert into feed_entries (user_id, post_id, created_at)
          select p.author_id, p.id, p.created_at from posts p where p.author_id in (${sql.join(authorIds)})
          union all
          select c.peer_id, p.id, p.created_at
          from posts p join connections c on c.user_id = p.author_id and c.status = 'accepted'
          where p.author_id in (${sql.join(authorIds)}) and ${visibleTo('p', sql.ref('c.peer_id'))}
          on conflict do nothing
          returning 1
        )
        select count(*)::int as count from written`.execute(db());
      return rows[0]!.count;
    },
  };
}

export type SocialSeedRepository = ReturnType<typeof createSocialSeedRepository>;

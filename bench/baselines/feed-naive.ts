import { sql, type Kysely } from 'kysely';
import { visibleTo } from '../../src/modules/social/index.ts';
import type { Tables } from '../../src/platform/db/tables.ts';
import type { Cursor } from '../../src/platform/pagination.ts';
import type { BlobStorage } from '../../src/platform/storage/blob-storage.ts';

/**
 * The feed as the replaced social app wrote it: one query for the page, then per post one query each for its
 * author, its photos (signed one post at a time), its comment count and whether the viewer commented
 * (1 + 4 × page size). Kept as the benchmark's reference; its items must equal the optimised route's for
 * the same viewer and cursor (test/integration/feed-naive-baseline.test.ts).
 */
export async function feedPageNaive(
  db: Kysely<Tables>,
  storage: Pick<BlobStorage, 'signedGetUrls'>,
  viewer: { id: string; limit: number; after?: Cursor | undefined; photoUrlTtlSeconds: number },
) {
  const { id: viewerId, limit, after } = viewer;
  const { rows: page } = await sql<{
    id: string;
    author_id: string;
    body: string;
    audience: 'all' | 'tags';
    created_at: Date;
  }>`
    select p.id, p.author_id, p.body, p.audience, p.created_at
    from feed_entries fe join posts p on p.id = fe.post_id
    where fe.user_id = ${viewerId} and ${visibleTo('p', viewerId)}
      and ${after ? sql`(fe.created_at, fe.post_id) < (${after.createdAt}, ${after.id})` : sql`true`}
    order by fe.created_at desc, fe.post_id desc
    limit ${limit}`.execute(db);
  const items = [];
  for (const post of page) {
    const author = await db
      .selectFrom('users')
      .select('display_name')
      .where('id', '=', post.author_id)
      .executeTakeFirstOrThrow();
    const photos = await db
      .selectFrom('post_photos')
      .select(['blob_key', 'ord'])
      .where('post_id', '=', post.id)
      .orderBy('ord')
      .execute();
    const urls =
      photos.length > 0
        ? await storage.signedGetUrls(
            photos.map((p) => p.blob_key),
            viewer.photoUrlTtlSeconds,
          )
        : [];
    const { count } = await db
      .selectFrom('comments')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('post_id', '=', post.id)
      .executeTakeFirstOrThrow();
    const commented = await db
      .selectFrom('comments')
      .select('id')
      .where('post_id', '=', post.id)
      .where('author_id', '=', viewerId)
      .limit(1)
      .executeTakeFirst();
    items.push({
      ...post,
      author_name: author.display_name,
      photos: photos.map((p, i) => ({ ord: p.ord, url: urls[i]! })),
      comment_count: count,
      commented: commented !== undefined,
    });
  }
  return items;
}

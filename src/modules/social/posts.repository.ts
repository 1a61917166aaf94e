import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import { visibleTo } from './visibility.repository.ts';

export interface PostRow {
  id: string;
  author_id: string;
  author_name: string;
  body: string;
  audience: 'all' | 'tags';
  created_at: Date;
  tag_ids: string[];
  /** Blob keys of its photos, in order. */
  photo_keys: string[];
  comment_count: number;
  commented: boolean;
}

export function createPostsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    async insert(post: { id: string; authorId: string; body: string; tagIds: string[] }): Promise<Date> {
      const row = await db()
        .insertInto('posts')
        .values({
          id: post.id,
          author_id: post.authorId,
          body: post.body,
          audience: post.tagIds.length > 0 ? 'tags' : 'all',
        })
        .returning('created_at')
        .executeTakeFirstOrThrow();
      if (post.tagIds.length > 0) {
        await db()
          .insertInto('post_audience_tags')
          .values(post.tagIds.map((tagId) => ({ post_id: post.id, tag_id: tagId })))
          .execute();
      }
      return row.created_at;
    },

    /** The post with its author and comment count, in one statement; undefined unless the viewer may see it. */
    findVisible(viewerId: string, postId: string): Promise<PostRow | undefined> {
      return db()
        .selectFrom('posts as p')
        .innerJoin('users as u', 'u.id', 'p.author_id')
        .select([
          'p.id',
          'p.author_id',
          'u.display_name as author_name',
          'p.body',
          'p.audience',
          'p.created_at',
          sql<
            string[]
          >`array(select t.tag_id from post_audience_tags t where t.post_id = p.id order by t.tag_id)`.as(
            'tag_ids',
          ),
          sql<
            string[]
          >`array(select ph.blob_key from post_photos ph where ph.post_id = p.id order by ph.ord)`.as(
            'photo_keys',
          ),
          sql<number>`(select count(*)::int from comments c where c.post_id = p.id)`.as('comment_count'),
          sql<boolean>`exists (select 1 from comments c where c.post_id = p.id and c.author_id = ${viewerId})`.as(
            'commented',
          ),
        ])
        .where('p.id', '=', postId)
        .where(visibleTo('p', viewerId))
        .executeTakeFirst();
    },

    /** Deletes the author's post (its entries, tags and comments go with it); the users whose feeds held it. */
    async deleteOwn(authorId: string, postId: string): Promise<string[] | undefined> {
      const recipients = await db()
        .deleteFrom('feed_entries')
        .where('post_id', 'in', (eb) =>
          eb.selectFrom('posts').select('id').where('id', '=', postId).where('author_id', '=', authorId),
        )
        .returning('user_id')
        .execute();
      const deleted = await db()
        .deleteFrom('posts')
        .where('id', '=', postId)
        .where('author_id', '=', authorId)
        .returning('id')
        .executeTakeFirst();
      return deleted ? recipients.map((r) => r.user_id) : undefined;
    },
  };
}

export type PostsRepository = ReturnType<typeof createPostsRepository>;

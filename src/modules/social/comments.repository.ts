import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { visibleTo } from './visibility.repository.ts';

export interface CommentRow {
  id: string;
  post_id: string;
  author_id: string;
  author_name: string;
  body: string;
  created_at: Date;
}

export function createCommentsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** Inserts the comment only if its author may see the post, in one statement; undefined otherwise. */
    async insertIfVisible(comment: { id: string; postId: string; authorId: string; body: string }) {
      const { rows } = await sql<{ id: string; created_at: Date }>`
        insert into comments (id, post_id, author_id, body)
        select ${comment.id}, p.id, ${comment.authorId}, ${comment.body}
        from posts p
        where p.id = ${comment.postId} and ${visibleTo('p', comment.authorId)}
        returning id, created_at`.execute(db());
      return rows[0];
    },

    async postVisible(viewerId: string, postId: string): Promise<boolean> {
      const row = await db()
        .selectFrom('posts as p')
        .select('p.id')
        .where('p.id', '=', postId)
        .where(visibleTo('p', viewerId))
        .executeTakeFirst();
      return row !== undefined;
    },

    /** One keyset page (limit + 1 rows), newest first. */
    listByPost(postId: string, limit: number, cursor: Cursor | undefined): Promise<CommentRow[]> {
      let query = db()
        .selectFrom('comments as c')
        .innerJoin('users as u', 'u.id', 'c.author_id')
        .select([
          'c.id',
          'c.post_id',
          'c.author_id',
          'u.display_name as author_name',
          'c.body',
          'c.created_at',
        ])
        .where('c.post_id', '=', postId);
      if (cursor)
        query = query.where(sql<boolean>`(c.created_at, c.id) < (${cursor.createdAt}, ${cursor.id})`);
      return query
        .orderBy('c.created_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(limit + 1)
        .execute();
    },

    /** The comment with its post's author, if the viewer may see the post. */
    findForViewer(viewerId: string, commentId: string) {
      return db()
        .selectFrom('comments as c')
        .innerJoin('posts as p', 'p.id', 'c.post_id')
        .select(['c.id', 'c.author_id', 'p.author_id as post_author_id'])
        .where('c.id', '=', commentId)
        .where(visibleTo('p', viewerId))
        .executeTakeFirst();
    },

    async delete(commentId: string): Promise<void> {
      await db().deleteFrom('comments').where('id', '=', commentId).execute();
    },
  };
}

export type CommentsRepository = ReturnType<typeof createCommentsRepository>;

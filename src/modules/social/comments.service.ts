import { uuidv7 } from 'uuidv7';
import { AppError } from '../../platform/errors.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import type { Actor } from '../users/index.ts';
import type { CommentRow, CommentsRepository } from './comments.repository.ts';
import { postNotFound } from './posts.service.ts';

/** Comments belong to a post's viewers: anyone else is told the post does not exist. */
export function createCommentsService(deps: { comments: CommentsRepository }) {
  const { comments } = deps;
  return {
    async create(actor: Actor, postId: string, body: string): Promise<CommentRow> {
      const id = uuidv7();
      const row = await comments.insertIfVisible({ id, postId, authorId: actor.id, body });
      if (!row) throw postNotFound();
      return {
        id,
        post_id: postId,
        author_id: actor.id,
        author_name: actor.displayName,
        body,
        created_at: row.created_at,
      };
    },

    async list(actor: Actor, postId: string, query: { limit: number; cursor?: string }) {
      const cursor = decodeCursor(query.cursor);
      if (!(await comments.postVisible(actor.id, postId))) throw postNotFound();
      return toPage(await comments.listByPost(postId, query.limit, cursor), query.limit);
    },

    /** The comment's author or the post's author may delete it. */
    async delete(actor: Actor, commentId: string): Promise<void> {
      const comment = await comments.findForViewer(actor.id, commentId);
      if (!comment) throw new AppError('SOCIAL_COMMENT_NOT_FOUND', 404, 'No such comment.');
      if (comment.author_id !== actor.id && comment.post_author_id !== actor.id) {
        throw new AppError(
          'SOCIAL_COMMENT_FORBIDDEN',
          403,
          'Only the comment’s author or the post’s author may delete it.',
        );
      }
      await comments.delete(commentId);
    },
  };
}

export type CommentsService = ReturnType<typeof createCommentsService>;

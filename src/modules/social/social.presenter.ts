import type { CommentRow } from './comments.repository.ts';
import type { ConnectionListRow } from './connections.repository.ts';
import type { AudienceTagRow } from './audience-tags.repository.ts';
import type { PostRow } from './posts.repository.ts';

/** A post read alone carries its audience tags; a feed item carries its photos. */
type PresentablePost = Omit<PostRow, 'tag_ids' | 'photo_keys'> & {
  tag_ids?: string[];
  photos: { ord: number; url: string }[];
};

/** A post as a viewer sees it: the audience tags (the author's private labels) only for the author. */
export function presentPost(viewerId: string, post: PresentablePost) {
  const isAuthor = post.author_id === viewerId;
  return {
    id: post.id,
    author: { id: post.author_id, displayName: post.author_name },
    body: post.body,
    audience: post.audience,
    ...(isAuthor && post.tag_ids ? { tagIds: post.tag_ids } : {}),
    photos: post.photos.map((p) => ({ ord: p.ord, url: p.url })),
    commentCount: post.comment_count,
    viewer: { isAuthor, commented: post.commented },
    createdAt: post.created_at.toISOString(),
  };
}

export function presentComment(comment: CommentRow) {
  return {
    id: comment.id,
    postId: comment.post_id,
    author: { id: comment.author_id, displayName: comment.author_name },
    body: comment.body,
    createdAt: comment.created_at.toISOString(),
  };
}

export function presentConnection(row: ConnectionListRow) {
  return {
    userId: row.id,
    displayName: row.display_name,
    status: row.status,
    since: row.created_at.toISOString(),
    tagIds: row.tag_ids,
  };
}

export function presentTag(tag: AudienceTagRow) {
  return { id: tag.id, name: tag.name, createdAt: tag.created_at.toISOString() };
}

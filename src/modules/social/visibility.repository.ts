import { sql, type RawBuilder } from 'kysely';

/**
 * The one rule deciding who sees a post, as SQL: its author, and connections of the author holding one of its
 * audience tags (or any connection for audience `all`). A block removes the connection rows, so it hides both
 * sides' posts. `post` is the alias of a `posts` row in the surrounding query.
 */
export function visibleTo(post: string, viewerId: string | RawBuilder<unknown>): RawBuilder<boolean> {
  const p = sql.ref(post);
  return sql<boolean>`(
    ${p}.author_id = ${viewerId}
    or exists (
      select 1 from connections vc
      where vc.user_id = ${p}.author_id and vc.peer_id = ${viewerId} and vc.status = 'accepted'
        and (
          ${p}.audience = 'all'
          or exists (
            select 1 from post_audience_tags vpat
            join connection_tags vct on vct.tag_id = vpat.tag_id
            where vpat.post_id = ${p}.id and vct.owner_id = ${p}.author_id and vct.peer_id = ${viewerId}
          )
        )
    )
  )`;
}

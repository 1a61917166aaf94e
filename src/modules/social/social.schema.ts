import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../platform/pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

export const UserIdParams = Type.Object({ userId: Uuid });
export const PeerIdParams = Type.Object({ peerId: Uuid });
export const IdParams = Type.Object({ id: Uuid });

export const UserIdBody = Type.Object({ userId: Uuid }, { additionalProperties: false });

export const ConnectionStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('blocked')],
  { description: '`pending` (request), `accepted` (connected) or `blocked`' },
);

export const ConnectionResult = Type.Object({ userId: Uuid, status: ConnectionStatus });

export const ConnectionListQuery = Type.Intersect([
  Type.Object({
    status: Type.Union(
      [Type.Literal('accepted'), Type.Literal('incoming'), Type.Literal('outgoing'), Type.Literal('blocked')],
      { default: 'accepted', description: 'incoming/outgoing: pending requests to you / from you' },
    ),
  }),
  PageQuery,
]);

export const ConnectionPage = Type.Object({
  items: Type.Array(
    Type.Object({
      userId: Uuid,
      displayName: Type.String(),
      status: ConnectionStatus,
      since: Timestamp,
      tagIds: Type.Array(Uuid, { description: 'your audience tags on this connection' }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const AudienceTagBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 60, pattern: '\\S' }) },
  { additionalProperties: false },
);
export const AudienceTag = Type.Object({ id: Uuid, name: Type.String(), createdAt: Timestamp });
export const AudienceTagList = Type.Object({ items: Type.Array(AudienceTag) });

export const ConnectionTagsBody = Type.Object(
  { tagIds: Type.Array(Uuid, { maxItems: 100 }) },
  { additionalProperties: false },
);
export const ConnectionTags = Type.Object({ userId: Uuid, tagIds: Type.Array(Uuid) });

export const PostBody = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: 5000, pattern: '\\S' }),
    audience: Type.Array(Type.Union([Type.Literal('all'), Uuid]), {
      minItems: 1,
      maxItems: 50,
      description: '`["all"]` for every connection, or ids of your audience tags',
    }),
    photos: Type.Optional(
      Type.Array(Type.String({ pattern: '^social-photo/[0-9a-f-]{36}$' }), {
        maxItems: 10,
        description: 'keys of your uploaded photo slots (POST /posts/photo-uploads), in display order',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PhotoUploadsBody = Type.Object(
  {
    photos: Type.Array(
      Type.Object(
        {
          contentType: Type.Union([
            Type.Literal('image/jpeg'),
            Type.Literal('image/png'),
            Type.Literal('image/webp'),
            Type.Literal('image/gif'),
          ]),
          size: Type.Integer({ minimum: 1, description: 'bytes; the upload may not be larger' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10 },
    ),
  },
  { additionalProperties: false },
);
export const PhotoUploads = Type.Object({
  items: Type.Array(
    Type.Object({
      key: Type.String({ description: 'name it in the post’s `photos`' }),
      url: Type.String({ description: 'PUT the bytes here, with `headers`' }),
      headers: Type.Record(Type.String(), Type.String()),
      maxBytes: Type.Integer(),
      expiresAt: Timestamp,
    }),
  ),
});

const Photo = Type.Object({
  ord: Type.Integer(),
  url: Type.String({ description: 'a short-lived signed GET URL' }),
});

export const Post = Type.Object({
  id: Uuid,
  author: Type.Object({ id: Uuid, displayName: Type.String() }),
  body: Type.String(),
  audience: Type.Union([Type.Literal('all'), Type.Literal('tags')]),
  tagIds: Type.Optional(Type.Array(Uuid, { description: 'the audience tags; shown to the author only' })),
  photos: Type.Array(Photo),
  commentCount: Type.Integer(),
  viewer: Type.Object({ isAuthor: Type.Boolean(), commented: Type.Boolean() }),
  createdAt: Timestamp,
});

export const FeedQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: PageQuery.properties.cursor,
});
export const FeedPage = Type.Object({
  items: Type.Array(Post),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const CommentBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' }) },
  { additionalProperties: false },
);
export const Comment = Type.Object({
  id: Uuid,
  postId: Uuid,
  author: Type.Object({ id: Uuid, displayName: Type.String() }),
  body: Type.String(),
  createdAt: Timestamp,
});
export const CommentPage = Type.Object({
  items: Type.Array(Comment),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

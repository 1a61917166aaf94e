import { Type, type Static } from '@sinclair/typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Kind = Type.Union([Type.Literal('document'), Type.Literal('story')]);
export const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('extracting'),
  Type.Literal('embedding'),
  Type.Literal('summarizing'),
  Type.Literal('ready'),
  Type.Literal('failed'),
]);
export const Tag = Type.String({
  minLength: 1,
  maxLength: 40,
  pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N} _.-]*$',
  description: 'letters, digits, space, `_`, `.`, `-`; stored lower-case',
});
export const Tags = Type.Array(Tag, { maxItems: 20, uniqueItems: true });
export const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const IdParams = Type.Object({ id: Uuid });
export const NoContent = Type.Null({ description: 'No content' });

const documentProperties = {
  id: Uuid,
  kind: Kind,
  title: Type.String(),
  fileName: Type.Union([Type.String(), Type.Null()], {
    description: 'as the client named it; metadata only',
  }),
  mime: Type.String(),
  byteSize: Type.Integer(),
  sha256: Type.String({ description: 'of the stored bytes, hex' }),
  status: Status,
  stageProgress: Type.Number({ minimum: 0, maximum: 1, description: 'within the current status' }),
  error: Nullable(Type.String({ description: 'why it failed, for the user' })),
  pageCount: Type.Union([Type.Integer(), Type.Null()]),
  chunkCount: Type.Union([Type.Integer(), Type.Null()]),
  embedding: Type.Union([Type.Literal('done'), Type.Literal('skipped'), Type.Null()], {
    description: '`skipped` when vector search is off',
  }),
  tags: Type.Array(Type.String()),
  createdAt: DateTime,
  updatedAt: DateTime,
};
export const Document = Type.Object(documentProperties);
export type DocumentDto = Static<typeof Document>;

export const FIELD_NAMES = Object.keys(documentProperties) as (keyof typeof documentProperties)[];

/** A list item with `?fields=`: only `id` is certain (DESIGN §6). */
export const DocumentItem = Type.Partial(Type.Object(documentProperties), { additionalProperties: false });
const DocumentListItem = Type.Intersect([Type.Object({ id: Uuid }), DocumentItem]);

export const UploadResult = Type.Composite([
  Document,
  Type.Object({
    duplicateOf: Nullable(
      Type.String({ format: 'uuid', description: 'set when these bytes were already yours' }),
    ),
  }),
]);

/** The multipart form of an upload, for the OpenAPI document (the handler reads the stream itself). */
export const UploadForm = Type.Object({
  file: Type.String({ format: 'binary', description: 'PDF, plain text, Markdown or HTML' }),
  title: Type.Optional(Title),
  tags: Type.Optional(Type.String({ description: 'comma-separated, e.g. `physics,notes`' })),
  kind: Type.Optional(Kind),
});

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'instead of a cursor' })),
  kind: Type.Optional(Kind),
  status: Type.Optional(Status),
  tag: Type.Optional(Tag),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'title contains' })),
  fields: Type.Optional(
    Type.String({
      pattern: `^(${FIELD_NAMES.join('|')})(,(${FIELD_NAMES.join('|')}))*$`,
      description: `comma-separated subset of: ${FIELD_NAMES.join(', ')}`,
    }),
  ),
});
export const StoryListQuery = Type.Omit(ListQuery, ['kind']);

export const DocumentPage = Type.Object({
  items: Type.Array(DocumentListItem),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const PatchBody = Type.Object(
  { title: Type.Optional(Title), tags: Type.Optional(Tags) },
  { additionalProperties: false, minProperties: 1 },
);

export const StoryBody = Type.Object(
  {
    title: Title,
    text: Type.String({ minLength: 1, maxLength: 5_000_000, pattern: '\\S' }),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const TagCounts = Type.Object({
  items: Type.Array(Type.Object({ tag: Type.String(), count: Type.Integer() })),
});

export const Summary = Type.Object({
  text: Type.String(),
  model: Type.String(),
  method: Type.Union([Type.Literal('extractive'), Type.Literal('llm')]),
  note: Nullable(Type.String()),
  createdAt: DateTime,
});

export const ChunkQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ pattern: '^\\d{1,9}$', description: 'nextCursor of the previous page' }),
  ),
});
export const ChunkPage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Uuid,
      ord: Type.Integer(),
      pageFrom: Type.Integer(),
      pageTo: Type.Integer(),
      charStart: Type.Integer(),
      charEnd: Type.Integer(),
      text: Type.String(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const Reprocess = Type.Object({ id: Uuid, status: Status, generation: Type.Integer() });

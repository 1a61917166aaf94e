import { Type } from '@sinclair/typebox';

const Uuid = Type.String({ format: 'uuid' });

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  mode: Type.Union([Type.Literal('hybrid'), Type.Literal('vector'), Type.Literal('text')], {
    default: 'hybrid',
  }),
  documentIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, description: 'repeat or comma-free list' })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 })),
  kind: Type.Optional(Type.Union([Type.Literal('document'), Type.Literal('story')])),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
});

export const SearchResponse = Type.Object({
  mode: Type.String(),
  vectorSearch: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')], {
    description: '`disabled`: this deployment answers from full-text search only',
  }),
  space: Type.Union(
    [
      Type.Object({ id: Type.Integer(), model: Type.String() }),
      Type.Null({ description: 'no vectors were used (mode=text, vector search off, nothing embedded yet)' }),
    ],
    { description: 'the embedding space the vector list came from (during a model switch, the old one)' },
  ),
  hits: Type.Array(
    Type.Object({
      documentId: Uuid,
      title: Type.String(),
      kind: Type.String(),
      chunkId: Uuid,
      pageFrom: Type.Integer(),
      pageTo: Type.Integer(),
      snippet: Type.String({ description: 'ts_headline; matches wrapped in <mark>' }),
      score: Type.Number({ description: 'Reciprocal Rank Fusion score' }),
      vectorRank: Type.Union([Type.Integer(), Type.Null()]),
      textRank: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
});

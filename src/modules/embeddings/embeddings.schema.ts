import { Type } from '@sinclair/typebox';

export const SwitchBody = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^\\S+$',
      description: 'embedding model name',
    }),
    dims: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16000,
        description: 'vector dimensions; asked from the endpoint with one probe input when absent',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SpaceParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

export const Space = Type.Object({
  id: Type.Integer(),
  model: Type.String(),
  dims: Type.Integer(),
  state: Type.Union(
    ['building', 'active', 'retired', 'failed'].map((s) => Type.Literal(s)),
    {
      description: 'building → active → retired (then dropped); failed: the re-embed gave up (see `error`)',
    },
  ),
  error: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Object({
    embedded: Type.Integer({ description: 'chunks with vectors in this space' }),
    total: Type.Integer({ description: 'chunks in the library' }),
  }),
  createdAt: Type.String({ format: 'date-time' }),
  activatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const SpaceList = Type.Object({ items: Type.Array(Space) });

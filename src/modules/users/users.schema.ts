import { Type, type Static } from '@sinclair/typebox';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 8, maxLength: 256 });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const CreateTokenBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) },
  { additionalProperties: false },
);
export const NoContent = Type.Null({ description: 'No content' });
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Email,
  displayName: Type.String(),
  isAdmin: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Tokens = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
});

export const Session = Type.Object({ user: User, tokens: Tokens });

export const ApiToken = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export const NewApiToken = Type.Composite([
  ApiToken,
  Type.Object({ token: Type.String({ description: 'shown once; send as `Authorization: Bearer <token>`' }) }),
]);
export const ApiTokenPage = Type.Object({
  items: Type.Array(ApiToken),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export type UserDto = Static<typeof User>;

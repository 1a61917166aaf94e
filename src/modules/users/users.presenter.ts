import type { Actor } from './users.service.ts';
import type { UserDto } from './users.schema.ts';

export function presentUser(user: Actor): UserDto {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    createdAt: user.createdAt.toISOString(),
  };
}

export function presentApiToken(token: {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}) {
  return {
    id: token.id,
    name: token.name,
    createdAt: token.created_at.toISOString(),
    lastUsedAt: token.last_used_at?.toISOString() ?? null,
  };
}

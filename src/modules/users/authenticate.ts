import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.ts';
import type { Actor, UsersService } from './users.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** An onRequest hook: runs before the body is read, so anonymous callers cannot make us parse large bodies. */
export function createAuthenticate(users: Pick<UsersService, 'authenticate'>): Authenticate {
  return async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new AppError('AUTH_UNAUTHENTICATED', 401, 'Send `Authorization: Bearer <token>`.', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    request.actor = await users.authenticate(match[1]);
    request.context.userId = request.actor.id;
  };
}

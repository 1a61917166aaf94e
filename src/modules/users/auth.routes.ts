import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LoginBody, RefreshBody, RegisterBody, Session, Tokens } from './users.schema.ts';
import { presentUser } from './users.presenter.ts';
import type { UsersService } from './users.service.ts';

export function authRoutes(users: UsersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/register',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create an account and sign in.',
          body: RegisterBody,
          response: { 201: Session },
        },
      },
      async (request, reply) => {
        const { user, tokens } = await users.register(request.body);
        return reply.code(201).send({ user: presentUser(user), tokens });
      },
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with email and password. Repeated failures lock the account for this address.',
          body: LoginBody,
          response: { 200: Session },
        },
      },
      async (request) => {
        const { user, tokens } = await users.login({ ...request.body, ip: request.ip });
        return { user: presentUser(user), tokens };
      },
    );

    app.post(
      '/auth/refresh',
      {
        schema: {
          tags: ['auth'],
          summary: 'Exchange a refresh token for new tokens (the old refresh token stops working).',
          body: RefreshBody,
          response: { 200: Tokens },
        },
      },
      async (request) => users.refresh(request.body.refreshToken),
    );
  };
}

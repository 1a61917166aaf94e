import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/pagination.ts';
import type { Authenticate } from './authenticate.ts';
import { ApiTokenPage, CreateTokenBody, IdParams, NewApiToken, NoContent, User } from './users.schema.ts';
import { presentApiToken, presentUser } from './users.presenter.ts';
import type { UsersService } from './users.service.ts';

export function meRoutes(users: UsersService, authenticate: Authenticate): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    const security = [{ bearer: [] }];

    app.get(
      '/me',
      { schema: { tags: ['me'], summary: 'The signed-in user.', security, response: { 200: User } } },
      async (request) => presentUser(request.actor),
    );

    app.delete(
      '/me',
      {
        schema: {
          tags: ['me'],
          summary: 'Delete the account and everything it owns.',
          security,
          response: { 204: NoContent },
        },
      },
      async (request, reply) => {
        await users.deleteMe(request.actor);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/me/tokens',
      {
        config: { idempotent: true },
        schema: {
          tags: ['me'],
          summary: 'Create an API token for scripts (its value is shown once). Honours Idempotency-Key.',
          security,
          body: CreateTokenBody,
          response: { 201: NewApiToken },
        },
      },
      async (request, reply) => {
        const token = await users.createApiToken(request.actor, request.body.name);
        return reply.code(201).send({ ...presentApiToken(token), token: token.token });
      },
    );

    app.get(
      '/me/tokens',
      {
        schema: {
          tags: ['me'],
          summary: 'Your API tokens, newest first.',
          security,
          querystring: PageQuery,
          response: { 200: ApiTokenPage },
        },
      },
      async (request) => {
        const page = await users.listApiTokens(request.actor, request.query);
        return { items: page.items.map(presentApiToken), nextCursor: page.nextCursor };
      },
    );

    app.delete(
      '/me/tokens/:id',
      {
        schema: {
          tags: ['me'],
          summary: 'Revoke an API token.',
          security,
          params: IdParams,
          response: { 204: NoContent },
        },
      },
      async (request, reply) => {
        await users.deleteApiToken(request.actor, request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
}

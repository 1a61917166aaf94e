import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import type { ConnectionsService } from './connections.service.ts';
import { presentConnection } from './social.presenter.ts';
import type { SocialMetrics } from './social.metrics.ts';
import {
  ConnectionListQuery,
  ConnectionPage,
  ConnectionResult,
  UserIdBody,
  UserIdParams,
} from './social.schema.ts';

/** Connections are addressed by the other user's id: `/connections/:userId/accept` accepts their request. */
export function connectionsRoutes(deps: {
  connections: ConnectionsService;
  authenticate: Authenticate;
  metrics: Pick<SocialMetrics, 'connectionRequests' | 'connectionAccepts'>;
}): FastifyPluginAsyncTypebox {
  const { connections, metrics } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    const security = [{ bearer: [] }];
    const tags = ['social'];
    const noContent = { 204: { type: 'null' } } as const;

    app.post(
      '/connections',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Ask a user to connect; if they already asked you, this accepts their request (200).',
          description:
            'Honours Idempotency-Key. Errors: 404 SOCIAL_USER_NOT_FOUND, 409 SOCIAL_CONNECTION_EXISTS | SOCIAL_CONNECTION_PENDING | ' +
            'SOCIAL_USER_BLOCKED, 422 SOCIAL_CONNECTION_SELF.',
          security,
          body: UserIdBody,
          response: { 200: ConnectionResult, 201: ConnectionResult },
        },
      },
      async (request, reply) => {
        const { status } = await connections.request(request.actor, request.body.userId);
        metrics.connectionRequests.inc();
        if (status === 'accepted') metrics.connectionAccepts.inc();
        return reply.code(status === 'accepted' ? 200 : 201).send({ userId: request.body.userId, status });
      },
    );

    app.post(
      '/connections/:userId/accept',
      {
        schema: {
          tags,
          summary: 'Accept the pending request from this user.',
          description: 'Errors: 404 SOCIAL_CONNECTION_NOT_FOUND, 409 SOCIAL_CONNECTION_OWN_REQUEST.',
          security,
          params: UserIdParams,
          response: { 200: ConnectionResult },
        },
      },
      async (request) => {
        await connections.accept(request.actor, request.params.userId);
        metrics.connectionAccepts.inc();
        return { userId: request.params.userId, status: 'accepted' as const };
      },
    );

    app.post(
      '/connections/:userId/decline',
      {
        schema: {
          tags,
          summary: 'Decline the pending request from this user.',
          description: 'Errors: 404 SOCIAL_CONNECTION_NOT_FOUND, 409 SOCIAL_CONNECTION_OWN_REQUEST.',
          security,
          params: UserIdParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await connections.decline(request.actor, request.params.userId);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/connections/:userId',
      {
        schema: {
          tags,
          summary: 'Remove a connection (both sides), or withdraw your pending request.',
          description: 'Errors: 404 SOCIAL_CONNECTION_NOT_FOUND.',
          security,
          params: UserIdParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await connections.remove(request.actor, request.params.userId);
        return reply.code(204).send();
      },
    );

    app.get(
      '/connections',
      {
        schema: {
          tags,
          summary: 'Your connections, requests or blocks, newest first (keyset paged).',
          security,
          querystring: ConnectionListQuery,
          response: { 200: ConnectionPage },
        },
      },
      async (request) => {
        const page = await connections.list(request.actor, request.query);
        return { items: page.items.map(presentConnection), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/blocks',
      {
        schema: {
          tags,
          summary: 'Block a user: any connection or request goes, and neither of you sees the other’s posts.',
          description: 'Errors: 404 SOCIAL_USER_NOT_FOUND, 422 SOCIAL_CONNECTION_SELF.',
          security,
          body: UserIdBody,
          response: noContent,
        },
      },
      async (request, reply) => {
        await connections.block(request.actor, request.body.userId);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/blocks/:userId',
      {
        schema: {
          tags,
          summary: 'Unblock a user (connecting again takes a new request).',
          description: 'Errors: 404 SOCIAL_BLOCK_NOT_FOUND.',
          security,
          params: UserIdParams,
          response: noContent,
        },
      },
      async (request, reply) => {
        await connections.unblock(request.actor, request.params.userId);
        return reply.code(204).send();
      },
    );
  };
}

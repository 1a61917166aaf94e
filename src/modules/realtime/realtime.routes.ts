import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../users/index.ts';
import type { Realtime } from './realtime.ts';
import { PROTOCOL_DESCRIPTION, ServerFrame, WsQuery } from './realtime.schema.ts';

export interface RealtimeRoutesDeps {
  realtime: Realtime;
  /** Resolves an access or API token to its user (401 AppError when invalid). */
  authenticateToken: (token: string) => Promise<Actor>;
}

/** Client messages are a few dozen bytes; anything larger is refused by the WebSocket layer (close 1009). */
const MAX_MESSAGE_BYTES = 4096;

/** GET /ws: the multiplexed WebSocket (protocol in PROTOCOL_DESCRIPTION). */
export function realtimeRoutes(deps: RealtimeRoutesDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Shutdown is handled by app.ts (close 1001 for every socket), before this plugin's own close.
    await app.register(websocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });

    // Before the upgrade: an unauthenticated client gets a plain 401 and never a socket.
    const authenticate = async (request: FastifyRequest) => {
      const { token } = request.query as { token?: unknown };
      const header = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      const credential = typeof token === 'string' ? token : header;
      if (!credential) {
        throw new AppError(
          'AUTH_UNAUTHENTICATED',
          401,
          'Send `Authorization: Bearer <token>` or `?token=`.',
          {
            headers: { 'www-authenticate': 'Bearer' },
          },
        );
      }
      request.actor = await deps.authenticateToken(credential);
      request.context.userId = request.actor.id;
    };

    app.route({
      method: 'GET',
      url: '/ws',
      onRequest: authenticate,
      schema: {
        tags: ['realtime'],
        summary: 'The realtime WebSocket: subscribe to user, document and job channels over one connection.',
        description: `${PROTOCOL_DESCRIPTION}\n\nErrors: 401 AUTH_UNAUTHENTICATED, 426 REALTIME_UPGRADE_REQUIRED.`,
        security: [{ bearer: [] }],
        querystring: WsQuery,
        response: {
          101: {
            description:
              'Switching Protocols: the WebSocket is open; the server then sends JSON text frames.',
            content: { 'application/json': { schema: ServerFrame } },
          },
        },
      },
      handler: async () => {
        throw new AppError('REALTIME_UPGRADE_REQUIRED', 426, 'Connect with a WebSocket client.', {
          headers: { upgrade: 'websocket' },
        });
      },
      wsHandler: (socket, request) => deps.realtime.accept(socket, request.actor),
    });
  };
}

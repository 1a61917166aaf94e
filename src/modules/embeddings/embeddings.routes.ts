import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { EventStreams } from '../../platform/http/event-stream.ts';
import type { PubSub } from '../../platform/pubsub/pubsub.ts';
import type { Authenticate, UsersService } from '../users/index.ts';
import { spaceChannel, type EmbeddingsService, type SpaceView } from './embeddings.service.ts';
import { Space, SpaceList, SpaceParams, SwitchBody } from './embeddings.schema.ts';
import { followState } from '../../platform/pubsub/follow-state.ts';

export interface EmbeddingsRoutesDeps {
  embeddings: EmbeddingsService;
  users: Pick<UsersService, 'requireAdmin'>;
  authenticate: Authenticate;
  eventStreams: EventStreams;
  pubsub: Pick<PubSub, 'subscribe'>;
}

const ERRORS =
  'Errors: 403 AUTH_FORBIDDEN (not an admin), 409 EMBEDDINGS_VECTOR_DISABLED (VECTOR_SEARCH=off)';

const present = (space: SpaceView) => ({
  ...space,
  createdAt: space.createdAt.toISOString(),
  activatedAt: space.activatedAt?.toISOString() ?? null,
});

/** Admin API of embedding spaces: switch the model without downtime, and watch the re-embed. */
export function embeddingsRoutes(deps: EmbeddingsRoutesDeps): FastifyPluginAsyncTypebox {
  const { embeddings } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    app.addHook('preHandler', async (request) => deps.users.requireAdmin(request.actor));

    app.post(
      '/admin/embeddings/spaces',
      {
        config: { idempotent: true },
        schema: {
          tags: ['admin'],
          summary:
            'Switch the embedding model: creates a building space and re-embeds every chunk in the background; ' +
            'searches use the active space until the new one is complete, then it becomes active and the old one is dropped.',
          description:
            `${ERRORS}, 422 EMBEDDINGS_MODEL_UNAVAILABLE, 409 EMBEDDINGS_MODEL_ACTIVE, ` +
            '409 EMBEDDINGS_SWITCH_IN_PROGRESS.',
          security: [{ bearer: [] }],
          body: SwitchBody,
          response: { 202: Type.Object({ space: Space }) },
        },
      },
      async (request, reply) =>
        reply.code(202).send({ space: present(await embeddings.requestSwitch(request.body)) }),
    );

    app.get(
      '/admin/embeddings/spaces',
      {
        schema: {
          tags: ['admin'],
          summary: 'Embedding spaces with their state and re-embed progress.',
          description: `${ERRORS}.`,
          security: [{ bearer: [] }],
          response: { 200: SpaceList },
        },
      },
      async () => ({ items: (await embeddings.list()).map(present) }),
    );

    app.get(
      '/admin/embeddings/spaces/:id/events',
      {
        schema: {
          tags: ['admin'],
          summary:
            'A space’s re-embed as server-sent events: `snapshot`, `progress`…, then `active`, `failed` or `retired`.',
          description: `${ERRORS}, 404 EMBEDDINGS_SPACE_NOT_FOUND.`,
          security: [{ bearer: [] }],
          params: SpaceParams,
          response: {
            200: {
              description: 'text/event-stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        await embeddings.get(id); // 404 before the stream opens
        await deps.eventStreams.serve(request, reply, async (stream) => {
          const closed = new Promise<void>((resolve) => stream.onClose(resolve));
          await followState({
            read: () => embeddings.get(id),
            subscribe: (listener) => deps.pubsub.subscribe(spaceChannel(id), listener),
            key: (space) => JSON.stringify([space.state, space.progress, space.error]),
            terminal: (space) => (space.state === 'building' ? undefined : space.state),
            emit: (event, space) => stream.send(event, present(space)),
            closed,
          });
        });
      },
    );
  };
}

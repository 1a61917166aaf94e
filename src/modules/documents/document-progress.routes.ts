import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStreams } from '../../platform/http/event-stream.ts';
import type { Authenticate } from '../users/index.ts';
import { IdParams } from './documents.schema.ts';
import type { DocumentsService } from './documents.service.ts';
import { followState } from '../../platform/pubsub/follow-state.ts';

export interface DocumentProgressRoutesDeps {
  documents: DocumentsService;
  authenticate: Authenticate;
  eventStreams: EventStreams;
}

/** GET /documents/:id/events: a document's processing progress as server-sent events. */
export function documentProgressRoutes(deps: DocumentProgressRoutesDeps): FastifyPluginAsyncTypebox {
  const { documents } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);

    app.get(
      '/documents/:id/events',
      {
        schema: {
          tags: ['documents'],
          summary:
            'Processing progress as server-sent events: `snapshot`, `progress`…, then `ready` or `failed`.',
          security: [{ bearer: [] }],
          params: IdParams,
          response: {
            200: {
              description: 'text/event-stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const { actor } = request;
        const { id } = request.params;
        await documents.progress(actor, id); // 404 before the stream opens
        await deps.eventStreams.serve(request, reply, async (stream) => {
          const closed = new Promise<void>((resolve) => stream.onClose(resolve));
          await followState({
            read: () => documents.progress(actor, id),
            subscribe: (listener) => documents.subscribe(id, listener),
            terminal: (progress) =>
              progress.status === 'ready' || progress.status === 'failed' ? progress.status : undefined,
            emit: (event, progress) => stream.send(event, { id, ...progress }),
            closed,
          });
        });
      },
    );
  };
}

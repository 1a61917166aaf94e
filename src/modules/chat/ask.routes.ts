import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStreams } from '../../platform/http/event-stream.ts';
import { recordTiming } from '../../platform/observability/request-context.ts';
import type { Authenticate } from '../users/index.ts';
import { presentMessage } from './chat.presenter.ts';
import { AskBody, AskResult, ConversationParams } from './chat.schema.ts';
import type { ChatService, Turn } from './chat.service.ts';

export interface AskRoutesDeps {
  chat: ChatService;
  authenticate: Authenticate;
  eventStreams: EventStreams;
}

const presentSources = (turn: Turn) =>
  turn.sources.map(({ marker, documentId, title, pageFrom, pageTo, chunkId }) => ({
    marker,
    documentId,
    title,
    pageFrom,
    pageTo,
    chunkId,
  }));

/** POST /conversations/:id/messages: a question answered from the conversation's documents, streamed or whole. */
export function askRoutes(deps: AskRoutesDeps): FastifyPluginAsyncTypebox {
  const { chat } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);

    app.post(
      '/conversations/:id/messages',
      {
        schema: {
          tags: ['chat'],
          summary: 'Ask; the answer cites its sources as `[n]` with document, page, chunk and quote.',
          description:
            'With `Accept: text/event-stream` the answer streams: `start` (the stored question and the retrieved ' +
            'sources), `token`…, maybe `notice` (the model failed and an extractive answer follows), then `answer` ' +
            '(the stored answer with citations and timings); `: heartbeat` comments keep a quiet stream open, and ' +
            'shutdown ends it with `event: shutdown` and stores the partial answer as `interrupted`. Otherwise the ' +
            'whole answer as JSON. `Server-Timing` has `embed`, `retrieve`, `rag` (everything before the model) ' +
            'and, for JSON, `ttft`. Errors: 404 CHAT_CONVERSATION_NOT_FOUND, 429 AI_BUDGET_EXCEEDED.',
          security: [{ bearer: [] }],
          params: ConversationParams,
          body: AskBody,
          response: {
            201: AskResult,
            200: {
              description: 'text/event-stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const turn = await chat.ask(request.actor, request.params.id, request.body.content);
        const gone = new AbortController();

        if (!request.headers.accept?.includes('text/event-stream')) {
          reply.raw.on('close', () => {
            if (!reply.raw.writableFinished) gone.abort();
          });
          const { message, answer } = await turn.answer({
            signal: gone.signal,
            onToken: () => undefined,
            onNotice: () => undefined,
          });
          if (answer.firstTokenMs !== null) recordTiming('ttft', answer.firstTokenMs);
          return reply
            .code(201)
            .send({ question: presentMessage(turn.question), answer: presentMessage(message) });
        }

        await deps.eventStreams.serve(request, reply, async (stream) => {
          stream.onClose(() => gone.abort());
          stream.send('start', { question: presentMessage(turn.question), sources: presentSources(turn) });
          try {
            const { message, answer } = await turn.answer({
              signal: gone.signal,
              onToken: (text) => stream.send('token', { text }),
              onNotice: (notice) => stream.send('notice', { notice }),
            });
            const timings = {
              ragMs: request.context.timings.rag ?? null,
              firstTokenMs: answer.firstTokenMs,
              totalMs: performance.now() - request.startedAt,
            };
            stream.send('answer', { ...presentMessage(message), timings });
          } catch (error) {
            request.log.error({ err: error }, 'chat answer failed after the stream opened');
            stream.send('error', {
              code: 'INTERNAL_ERROR',
              detail: 'The answer could not be completed.',
              requestId: request.id,
            });
          }
        });
      },
    );
  };
}

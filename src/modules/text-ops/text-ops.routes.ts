import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import { TextOpBody, TextOpResponse } from './text-ops.schema.ts';
import type { TextOpsService } from './text-ops.service.ts';

export function textOpsRoutes(
  textOps: TextOpsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    app.post(
      '/ai/text',
      {
        schema: {
          tags: ['ai'],
          summary:
            'Summarize, rewrite, shorten, expand or bullet-point a text; identical requests are cached 30 min.',
          description:
            'Answered by the AI model, whose tokens count against your daily budget. Without a model, or when it ' +
            'fails, summarize, shorten and bullet-points are answered extractively (`engine: extractive`, with a ' +
            '`notice`). Errors: 429 AI_BUDGET_EXCEEDED (with `Retry-After`), 503 AI_UNAVAILABLE (rewrite or ' +
            'expand without a working model).',
          security: [{ bearer: [] }],
          body: TextOpBody,
          response: { 200: TextOpResponse },
        },
      },
      (request) => textOps.run(request.actor, request.body),
    );
  };
}

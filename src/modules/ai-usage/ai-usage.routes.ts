import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import { AiUsage } from './ai-usage.schema.ts';
import type { TokenBudget } from './token-budget.ts';

export function aiUsageRoutes(budget: TokenBudget, authenticate: Authenticate): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    app.get(
      '/me/ai-usage',
      {
        schema: {
          tags: ['me'],
          summary: "Today's AI token budget: the limit, what you spent, what is left and when it resets.",
          security: [{ bearer: [] }],
          response: { 200: AiUsage },
        },
      },
      (request) => budget.status(request.actor.id),
    );
  };
}

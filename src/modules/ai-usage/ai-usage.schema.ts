import { Type } from '@sinclair/typebox';

export const AiUsage = Type.Object({
  limit: Type.Integer({ description: 'AI tokens per user and UTC day (AI_DAILY_TOKENS).' }),
  used: Type.Integer({ description: 'Tokens spent today, prompts and answers.' }),
  remaining: Type.Integer({ minimum: 0 }),
  resetsAt: Type.String({
    format: 'date-time',
    description: 'The next UTC midnight, when `used` starts again at 0.',
  }),
});

import { defineErrors } from '../../platform/errors.ts';

export const AI_USAGE_ERRORS = defineErrors({
  AI_BUDGET_EXCEEDED: {
    status: 429,
    when: "You have spent today's AI tokens (AI_DAILY_TOKENS per user and UTC day); `Retry-After` gives the seconds until the next UTC midnight, when the budget resets. `GET /api/v1/me/ai-usage` shows what is left. Also when AI_DAILY_TOKENS is 0 (model calls turned off; no `Retry-After`).",
  },
});

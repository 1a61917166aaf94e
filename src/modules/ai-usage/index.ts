// The ai-usage module's public surface: each user's daily AI token budget.
export { AI_USAGE_ERRORS } from './ai-usage.errors.ts';
export { createAiUsageRepository } from './ai-usage.repository.ts';
export { aiUsageRoutes } from './ai-usage.routes.ts';
export { createTokenBudget, pruneAiUsage, type AiUsageStatus, type TokenBudget } from './token-budget.ts';

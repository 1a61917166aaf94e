/** What one upstream call spent; whoever wires the AI port turns it into budgets and `ai_tokens_total`. */
export interface AiUsage {
  task: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Whose daily AI token budget pays (CompletionRequest.userId). */
  userId?: string;
}

/** Callbacks the adapters report through, so platform/ai needs neither prom-client nor the budget store. */
export interface AiHooks {
  onUsage(usage: AiUsage): void;
  /** Seconds one upstream call took, failed calls and whole streams included (`ai_request_duration_seconds`). */
  observe(task: string, model: string, seconds: number): void;
}

/**
 * Some OpenAI-compatible servers omit `usage` (notably in streams); budgets must still count something.
 * Four characters per token is OpenAI's rule of thumb for English.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

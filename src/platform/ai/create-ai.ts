import { OpenAI } from 'openai';
import type { Config } from '../../config.ts';
import type { AiHooks } from './ai-hooks.ts';
import type { Embedder } from './embedder.ts';
import type { Llm } from './llm.ts';
import { createOpenAiEmbedder, embeddingDimensions } from './openai-embedder.ts';
import { createOpenAiLlm } from './openai-llm.ts';

export interface Ai {
  embedder: Embedder;
  llm: Llm;
  /** An embedder of another model on the same endpoint (an embedding-model switch). */
  embedderFor(model: string, dimensions: number): Embedder;
  /** The dimensions of a model's vectors, asked from the endpoint with one probe input. */
  dimensionsOf(model: string): Promise<number>;
}

/** The OpenAI-compatible adapters when AI_BASE_URL is set; undefined means the local engines' turn. */
export function createAi(config: Config, hooks: AiHooks): Ai | undefined {
  const { baseUrl, apiKey, timeoutMs } = config.ai;
  if (!baseUrl) return undefined;
  const client = new OpenAI({
    baseURL: baseUrl,
    // Local servers (Ollama, llama.cpp) need no key, but the SDK refuses to start without one.
    apiKey: apiKey ?? 'none',
    maxRetries: 2,
    // Time to response headers, per attempt; the adapters add the overall deadline.
    timeout: timeoutMs,
    // Explicit, or the SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY from the environment.
    organization: null,
    project: null,
    adminAPIKey: null,
    // Failures reach us as errors we map; the SDK's own console logging would bypass pino and its redaction.
    logLevel: 'off',
  });
  const common = { client, timeoutMs, hooks };
  return {
    embedder: createOpenAiEmbedder({
      ...common,
      model: config.ai.embeddingModel,
      dimensions: config.ai.embeddingDimensions,
    }),
    llm: createOpenAiLlm({ ...common, model: config.ai.chatModel }),
    embedderFor: (model, dimensions) => createOpenAiEmbedder({ ...common, model, dimensions }),
    dimensionsOf: (model) => embeddingDimensions({ client, timeoutMs, model }),
  };
}

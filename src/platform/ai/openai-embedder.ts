import type { OpenAI } from 'openai';
import { estimateTokens, type AiHooks } from './ai-hooks.ts';
import { withDeadline } from './deadline.ts';
import type { Embedder, Embeddings } from './embedder.ts';
import { badResponse } from './upstream-errors.ts';

/** OpenAI takes up to 2,048 inputs per request; local servers (Ollama, llama.cpp) struggle far earlier. */
const BATCH_SIZE = 256;

export interface OpenAiAdapterOptions {
  client: OpenAI;
  model: string;
  /** Overall deadline of each upstream request (AI_TIMEOUT_MS). */
  timeoutMs: number;
  hooks: AiHooks;
}

/** Embeddings from any OpenAI-compatible `/v1/embeddings`, in batches run one after another. */
export function createOpenAiEmbedder(options: OpenAiAdapterOptions & { dimensions: number }): Embedder {
  const { client, model, dimensions, timeoutMs, hooks } = options;

  async function embedBatch(input: string[], task: string, signal?: AbortSignal): Promise<Embeddings> {
    const started = performance.now();
    try {
      const body: unknown = await withDeadline(timeoutMs, signal, (deadline) =>
        // 'float' explicitly: without it the SDK asks for base64, which not every compatible server speaks.
        client.embeddings.create({ model, input, encoding_format: 'float' }, { signal: deadline }),
      );
      const reported = (body as { usage?: { prompt_tokens?: unknown } } | null)?.usage?.prompt_tokens;
      const tokens = typeof reported === 'number' ? reported : estimateTokens(input.join(' '));
      // Spent upstream whether or not the vectors turn out usable.
      hooks.onUsage({ task, model, promptTokens: tokens, completionTokens: 0 });
      return { vectors: readVectors(body, input.length, dimensions), tokens };
    } finally {
      hooks.observe(task, model, (performance.now() - started) / 1000);
    }
  }

  return {
    model,
    dimensions,
    async embed(texts, { signal, task = 'embed' } = {}) {
      const result: Embeddings = { vectors: [], tokens: 0 };
      for (let start = 0; start < texts.length; start += BATCH_SIZE) {
        const batch = await embedBatch(texts.slice(start, start + BATCH_SIZE), task, signal);
        result.vectors.push(...batch.vectors);
        result.tokens += batch.tokens;
      }
      return result;
    },
  };
}

/** How many numbers the endpoint's vectors of this model have, learned by embedding one probe input. */
export async function embeddingDimensions(options: Omit<OpenAiAdapterOptions, 'hooks'>): Promise<number> {
  const { client, model, timeoutMs } = options;
  const body: unknown = await withDeadline(timeoutMs, undefined, (deadline) =>
    client.embeddings.create(
      { model, input: ['dimension probe'], encoding_format: 'float' },
      { signal: deadline },
    ),
  );
  const vector = (body as { data?: { embedding?: unknown }[] } | null)?.data?.[0]?.embedding;
  if (!Array.isArray(vector) || vector.length === 0)
    throw badResponse('the probe came back without a vector');
  return vector.length;
}

/** Vectors in input order (by `index`), each exactly `dimensions` finite numbers, or AI_BAD_RESPONSE. */
function readVectors(body: unknown, count: number, dimensions: number): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== count) throw badResponse(`expected ${count} embeddings`);
  const vectors = new Array<number[] | undefined>(count);
  data.forEach((item: { index?: unknown; embedding?: unknown } | null, position) => {
    const index = typeof item?.index === 'number' ? item.index : position;
    const vector = item?.embedding;
    if (!Array.isArray(vector) || !vector.every((n) => Number.isFinite(n))) {
      throw badResponse('an embedding is not a list of numbers');
    }
    if (vector.length !== dimensions) {
      throw badResponse(`vectors of ${vector.length} numbers where AI_EMBEDDING_DIMENSIONS is ${dimensions}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index]) {
      throw badResponse('embedding indexes do not match the inputs');
    }
    vectors[index] = vector as number[];
  });
  // count entries, each at a distinct index in [0, count): every slot is filled.
  return vectors as number[][];
}

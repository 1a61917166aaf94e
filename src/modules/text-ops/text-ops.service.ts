import { createHash } from 'node:crypto';
import { isAiError } from '../../platform/ai/ai-errors.ts';
import type { Llm } from '../../platform/ai/llm.ts';
import { badResponse } from '../../platform/ai/upstream-errors.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { recordTiming } from '../../platform/observability/request-context.ts';
import type { TokenBudget } from '../ai-usage/index.ts';
import { splitSentences, type Summarizer } from '../ingest/index.ts';
import {
  answerTokens,
  PROMPT_VERSION,
  TEXT_OP_TEMPERATURE,
  textOpPrompt,
  type TextOperation,
} from './text-ops.prompts.ts';

export interface TextOpInput {
  operation: TextOperation;
  text: string;
  instructions?: string;
}

interface Answer {
  text: string;
  engine: 'llm' | 'extractive';
  model: string;
  notice: string | null;
}

export interface TextOpResult extends Answer {
  operation: TextOperation;
  cached: boolean;
}

export interface TextOpsDeps {
  /** The chat model; undefined when no AI endpoint is configured. */
  llm: Llm | undefined;
  /** LexRank over the text's sentences (the ingest module's extractive summarizer). */
  extractive: Summarizer;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  cache: Cache;
}

/** Operations a selection of the text's own sentences answers honestly; rewrite and expand need a model. */
const EXTRACTIVE_OPERATIONS = new Set<TextOperation>(['summarize', 'shorten', 'bullet-points']);
const EXTRACTIVE = "Extractive answer: the text's most central sentences, quoted verbatim.";
const LOCAL_NOTICE = `${EXTRACTIVE} No AI model is configured.`;
const FALLBACK_NOTICE = `${EXTRACTIVE} The AI service was unavailable.`;
const INSTRUCTIONS_IGNORED = ' Instructions are not applied to extractive answers.';

/** Text operations for the presentation app: by the chat model, extractively where that is honest, cached per user. */
export function createTextOpsService(deps: TextOpsDeps) {
  const { llm, extractive, budget, cache } = deps;
  const model = llm?.model ?? extractive.model;

  async function extract(input: TextOpInput, notice: string): Promise<Answer> {
    const summary = await extractive.summarize({
      title: '',
      sections: [{ heading: null, text: input.text }],
    });
    const text =
      input.operation === 'bullet-points'
        ? splitSentences(summary.text)
            .map((sentence) => `- ${sentence}`)
            .join('\n')
        : summary.text;
    const ignored = input.instructions ? INSTRUCTIONS_IGNORED : '';
    return { text, engine: 'extractive', model: summary.model, notice: notice + ignored };
  }

  async function complete(userId: string, input: TextOpInput, chat: Llm): Promise<Answer> {
    const completion = await chat.complete({
      messages: textOpPrompt(input.operation, input.text, input.instructions),
      maxTokens: answerTokens(input.operation, input.text),
      temperature: TEXT_OP_TEMPERATURE,
      task: 'text-op',
      userId,
    });
    const text = completion.text.trim();
    if (text === '') throw badResponse('an empty answer');
    return { text, engine: 'llm', model: completion.model, notice: null };
  }

  /** The answer, and whether it may be cached: a fallback must not stand in for the model for 30 minutes. */
  async function answer(userId: string, input: TextOpInput): Promise<[Answer, boolean]> {
    const extractable = EXTRACTIVE_OPERATIONS.has(input.operation);
    if (!llm) {
      if (extractable) return [await extract(input, LOCAL_NOTICE), true];
      throw new AppError(
        'AI_UNAVAILABLE',
        503,
        `\`${input.operation}\` needs an AI model, and this deployment has none configured; summarize, ` +
          'shorten and bullet-points work without one.',
      );
    }
    await budget.assertAvailable(userId);
    try {
      return [await complete(userId, input, llm), true];
    } catch (error) {
      if (!isAiError(error)) throw error;
      if (extractable) return [await extract(input, FALLBACK_NOTICE), false];
      throw new AppError(
        'AI_UNAVAILABLE',
        503,
        `The AI service is unavailable, and \`${input.operation}\` needs it; retry shortly.`,
        // AI_RATE_LIMITED carries the provider's Retry-After.
        { cause: error, headers: error.headers },
      );
    }
  }

  return {
    async run(actor: { id: string }, input: TextOpInput): Promise<TextOpResult> {
      const key = cacheKey(actor.id, model, input);
      const hit = await cache.get<Answer>('textOps', key);
      if (hit) return { operation: input.operation, ...hit, cached: true };
      const started = performance.now();
      const [result, cacheable] = await answer(actor.id, input);
      recordTiming('ai', performance.now() - started);
      if (cacheable) await cache.set('textOps', key, result);
      return { operation: input.operation, ...result, cached: false };
    },
  };
}

export type TextOpsService = ReturnType<typeof createTextOpsService>;

function cacheKey(userId: string, model: string, input: TextOpInput): string {
  const { operation, instructions = null, text } = input;
  return createHash('sha256')
    .update(JSON.stringify([userId, operation, PROMPT_VERSION, model, instructions, text]))
    .digest('hex');
}

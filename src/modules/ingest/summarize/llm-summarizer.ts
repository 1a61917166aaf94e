import { isAiError } from '../../../platform/ai/ai-errors.ts';
import type { ChatMessage, Llm } from '../../../platform/ai/llm.ts';
import { badResponse } from '../../../platform/ai/upstream-errors.ts';
import { AppError } from '../../../platform/errors.ts';
import { AI_USAGE_ERRORS, type TokenBudget } from '../../ai-usage/index.ts';
import { evenSample } from './even-sample.ts';
import type { Summarizer, SummaryInput } from './summarizer.ts';
import { packParts } from './summary-parts.ts';
import {
  combinePrompt,
  documentPrompt,
  PART_SUMMARY_MAX_TOKENS,
  partPrompt,
  PROMPT_RESERVE_TOKENS,
  SUMMARY_MAX_TOKENS,
  SUMMARY_TEMPERATURE,
} from './summary-prompts.ts';

export const UNAVAILABLE_NOTE = 'The AI service was unavailable; this is an extractive summary.';
export const BUDGET_NOTE = "The owner's daily AI token budget was spent; this is an extractive summary.";
export const SAMPLED_NOTE =
  'The document is long: this summary was written from an even sample of its sentences.';
/**
 * Most first-level parts one summary may take: at CONCURRENCY calls at a time they must fit the deadline (a
 * 2,000-page document would otherwise need about 130 calls). Longer documents are sampled first.
 */
export const MAX_PARTS = 12;
/** Parts summarized at once: a long document should not hog a shared endpoint or its rate limit. */
const CONCURRENCY = 2;

export interface LlmSummarizerOptions {
  llm: Llm;
  /** Answers whenever the AI service fails: the extractive summarizer. */
  fallback: Summarizer;
  /** For the whole map-reduce; each call is also bounded by the adapter's own AI_TIMEOUT_MS. */
  deadlineMs?: number;
  /** The model's context window less room for the answer, in estimated tokens (see token-estimate.ts). */
  maxInputTokens: number;
  /** Checked before the first call when the caller names who pays; a spent budget means the fallback. */
  tokenBudget?: Pick<TokenBudget, 'assertAvailable'>;
}

/**
 * One summary per document from the chat model: in one call when the text fits the input budget, otherwise
 * map-reduce (summarize consecutive parts, then summarize those summaries, again if they still do not fit).
 * Upstream failures and the deadline end in the fallback's summary; only the caller's own abort rejects.
 */
export function createLlmSummarizer(options: LlmSummarizerOptions): Summarizer {
  const { llm, fallback, deadlineMs = 60_000, maxInputTokens, tokenBudget } = options;
  const budget = maxInputTokens - PROMPT_RESERVE_TOKENS;
  // Part summaries must pack at least two to a part, or reducing them would never converge.
  const minimum = PROMPT_RESERVE_TOKENS + 4 * PART_SUMMARY_MAX_TOKENS;
  if (maxInputTokens < minimum) throw new Error(`maxInputTokens must be at least ${minimum}`);

  return {
    model: llm.model,
    async summarize(input, { signal: caller, userId } = {}) {
      const usage = { promptTokens: 0, completionTokens: 0 };
      const deadline = AbortSignal.timeout(deadlineMs);
      const finished = new AbortController();
      const signal = AbortSignal.any([deadline, finished.signal, ...(caller ? [caller] : [])]);

      const complete = async (messages: ChatMessage[], maxTokens: number) => {
        const completion = await llm.complete({
          messages,
          maxTokens,
          temperature: SUMMARY_TEMPERATURE,
          signal,
          task: 'document.summarize',
          userId,
        });
        usage.promptTokens += completion.usage.promptTokens;
        usage.completionTokens += completion.usage.completionTokens;
        const text = completion.text.trim();
        if (text === '') throw badResponse('an empty summary');
        return text;
      };

      const condense = async (texts: string[], level: number): Promise<string> => {
        const parts = packParts(texts, budget);
        if (parts.length === 1) {
          const prompt = level === 0 ? documentPrompt : combinePrompt;
          return complete(prompt(input.title, parts[0]!), SUMMARY_MAX_TOKENS);
        }
        // Only a model ignoring max_tokens writes summaries too long to pack two to a part.
        if (level > 0 && parts.length === texts.length)
          throw badResponse('part summaries longer than asked for');
        const summaries = await mapBounded(parts, (part, i) =>
          complete(partPrompt(input.title, part, i + 1, parts.length), PART_SUMMARY_MAX_TOKENS),
        );
        return condense(summaries, level + 1);
      };

      try {
        const blocks = sectionBlocks(input);
        if (blocks.length === 0) return await fallback.summarize(input, { signal: caller });
        if (userId) await tokenBudget?.assertAvailable(userId);
        // Parts are packed below the budget, so sample to a little less than MAX_PARTS budgets.
        const sampled = evenSample(blocks, Math.floor(MAX_PARTS * budget * 0.8));
        const text = await condense(sampled, 0);
        const note = sampled === blocks ? null : SAMPLED_NOTE;
        return { text, model: llm.model, method: 'llm', note, usage };
      } catch (error) {
        // Cancels a part still in flight beside the one that failed.
        finished.abort();
        caller?.throwIfAborted();
        const spent = isBudgetError(error);
        if (!deadline.aborted && !isAiError(error) && !spent) throw error;
        const summary = await fallback.summarize(input, { signal: caller });
        return { ...summary, note: spent ? BUDGET_NOTE : UNAVAILABLE_NOTE, usage };
      }
    },
  };
}

function sectionBlocks(input: SummaryInput): string[] {
  return input.sections
    .filter((section) => section.text.trim() !== '')
    .map(({ heading, text }) => (heading ? `${heading}\n\n${text.trim()}` : text.trim()));
}

function isBudgetError(error: unknown): boolean {
  return error instanceof AppError && Object.hasOwn(AI_USAGE_ERRORS, error.code);
}

/** `work` over every item, at most CONCURRENCY at a time, results in order. */
async function mapBounded<T, R>(items: T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}

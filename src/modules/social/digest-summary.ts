import { createHash } from 'node:crypto';
import { isAiError } from '../../platform/ai/ai-errors.ts';
import type { Llm } from '../../platform/ai/llm.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import type { TokenBudget } from '../ai-usage/index.ts';
import type { Summarizer } from '../ingest/index.ts';

export interface DigestSummary {
  text: string;
  engine: 'llm' | 'extractive';
  /** How an extractive summary came about; null for the model's. */
  notice: string | null;
}

const PROMPT_VERSION = 1;
const EXTRACTIVE = 'Extractive summary: the most central sentences of the posts, quoted verbatim.';
const NO_MODEL = `${EXTRACTIVE} No AI model is configured.`;
const UNAVAILABLE = `${EXTRACTIVE} The AI service was unavailable.`;
const NO_BUDGET = `${EXTRACTIVE} Your daily AI token budget is used up.`;
const INSTRUCTIONS =
  'You write the short digest of what a reader’s connections posted. In at most three sentences, say what ' +
  'they wrote about, naming people. Use only the posts given; do not address the reader.';

/**
 * The digest's summary: by the chat model (task `digest`, charged to the reader), else extractively (the ingest
 * module's LexRank summarizer). Cached per reader by a hash of its input; a fallback after a model failure is not
 * cached, so the model's summary replaces it as soon as the model is back.
 */
export function createDigestSummary(deps: {
  llm: Llm | undefined;
  extractive: Summarizer;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  cache: Pick<Cache, 'get' | 'set'>;
}) {
  const { llm, extractive } = deps;

  async function extract(posts: { author: string; body: string }[], notice: string): Promise<DigestSummary> {
    const summary = await extractive.summarize({
      title: 'Digest',
      sections: posts.map((p) => ({ heading: p.author, text: p.body })),
    });
    return { text: summary.text, engine: 'extractive', notice };
  }

  async function summarize(
    userId: string,
    posts: { author: string; body: string }[],
  ): Promise<[DigestSummary, boolean]> {
    if (!llm) return [await extract(posts, NO_MODEL), true];
    try {
      await deps.budget.assertAvailable(userId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'AI_BUDGET_EXCEEDED') {
        return [await extract(posts, NO_BUDGET), false];
      }
      throw error;
    }
    try {
      const completion = await llm.complete({
        messages: [
          { role: 'system', content: INSTRUCTIONS },
          { role: 'user', content: posts.map((p) => `${p.author}: ${p.body}`).join('\n\n') },
        ],
        maxTokens: 200,
        temperature: 0.2,
        task: 'digest',
        userId,
      });
      const text = completion.text.trim();
      if (text !== '') return [{ text, engine: 'llm', notice: null }, true];
      return [await extract(posts, UNAVAILABLE), false];
    } catch (error) {
      if (!isAiError(error)) throw error;
      return [await extract(posts, UNAVAILABLE), false];
    }
  }

  return {
    /** Null when there is nothing to summarize. */
    async summarize(
      userId: string,
      posts: { author: string; body: string }[],
    ): Promise<DigestSummary | null> {
      if (posts.length === 0) return null;
      const model = llm?.model ?? extractive.model;
      const key = createHash('sha256')
        .update(JSON.stringify(['digest', PROMPT_VERSION, userId, model, posts]))
        .digest('hex');
      const hit = await deps.cache.get<DigestSummary>('aiOutput', key);
      if (hit) return hit;
      const [summary, cacheable] = await summarize(userId, posts);
      if (cacheable) await deps.cache.set('aiOutput', key, summary);
      return summary;
    },
  };
}

export type DigestSummarizer = ReturnType<typeof createDigestSummary>;

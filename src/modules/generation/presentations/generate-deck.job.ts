import { isAiError } from '../../../platform/ai/ai-errors.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { AppError } from '../../../platform/errors.ts';
import type { JobResult } from '../../../platform/queue/queue.ts';
import type { TokenBudget } from '../../ai-usage/index.ts';
import type { AiCacheRepository } from '../ai-cache/ai-cache.repository.ts';
import type { DocumentChunksRepository } from '../sources/document-chunks.repository.ts';
import type { CachedDeck, Slide } from './deck.schema.ts';
import type { DeckGenerationRepository } from './deck-generation.repository.ts';
import { localDeck } from './deck-engines.ts';
import { llmSlide, llmSlides } from './llm-deck.ts';
import { deckJobId, type DeckGenerationJob, type PublishPresentationEvent } from './presentation.events.ts';
import type { Finished } from './presentations.repository.ts';
import { findTemplate } from './templates.ts';
import type { LayoutId } from './layouts.ts';

/** Chunks a deck reads at most (the model sees what fits its input budget of them). */
export const MAX_DECK_CHUNKS = 400;
const STALLED_BATCH = 100;

export interface DeckGeneratorDeps {
  decks: DeckGenerationRepository;
  chunks: DocumentChunksRepository;
  aiCache: AiCacheRepository;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishPresentationEvent;
  /** Sends `{status, progress}` to the job's pub/sub channel; best effort. */
  notify: (jobId: string, message: { status: string; progress: number }) => void;
  llm: Llm | undefined;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  maxInputTokens: number;
  cacheTtlSeconds: number;
}

type Started = NonNullable<Awaited<ReturnType<DeckGenerationRepository['startGenerating']>>>;
interface Made extends Finished {
  usage: { promptTokens: number; completionTokens: number } | null;
  cacheable: boolean;
}

/** The presentation.generate job: a deck's slides, or one slide anew; skipped when the deck moved on. */
export function createDeckGenerator(deps: DeckGeneratorDeps) {
  const { decks, transaction } = deps;

  /** What both kinds of run need: the template, the documents' text, and the engines over them. */
  async function engines(started: Started) {
    const template = findTemplate(started.template_id);
    if (!template) throw new AppError('PRESENTATION_TEMPLATE_NOT_FOUND', 422, 'The deck’s template is gone.');
    const chunks = await deps.chunks.chunksOf(started.document_ids, MAX_DECK_CHUNKS);
    const { prompt, style, num_cards: numCards } = started;
    const local = (degraded: boolean, layouts?: Map<number, LayoutId>): Made => ({
      ...localDeck({ prompt, numCards, template, chunks, layouts }, degraded),
      usage: null,
      // A fallback must not stand in for the model's deck for the cache's lifetime.
      cacheable: !degraded,
    });
    const brief = { prompt, style, numCards, layouts: template.layouts };
    const llm = deps.llm;
    const model = llm && {
      llm,
      userId: started.owner_id,
      brief,
      chunks,
      maxInputTokens: deps.maxInputTokens,
    };
    return { local, model };
  }

  async function wholeDeck(started: Started, progress: (p: number) => void): Promise<Made> {
    const { local, model } = await engines(started);
    const outline = started.outline;
    if (!model || !outline) return local(false);
    try {
      await deps.budget.assertAvailable(started.owner_id);
      const made = await llmSlides(model, outline, (done) =>
        progress(10 + Math.round((80 * done) / outline.slides.length)),
      );
      const artifact = { title: outline.title, slides: made.slides };
      const { llm } = model;
      return {
        artifact,
        engine: 'llm',
        model: llm.model,
        degraded: false,
        notice: null,
        usage: made.usage,
        cacheable: true,
      };
    } catch (error) {
      // Invalid output after the repair rounds is a failure to report, not an outage to paper over.
      const outage = isAiError(error) || (error instanceof AppError && error.code === 'AI_BUDGET_EXCEEDED');
      if (outage && !started.ai_only) return local(true);
      throw error;
    }
  }

  /** One slide anew, by the engine that made the deck; the rest of the deck (and how it was made) stays. */
  async function oneSlide(started: Started, index: number, layout: LayoutId | null): Promise<Made> {
    const { local, model } = await engines(started);
    const slides = started.slides!;
    const current = slides[index]!;
    const item = { title: current.title, intent: current.intent, layout: layout ?? current.layout };
    const outline = {
      title: started.title,
      slides: slides.map(({ title, layout, intent }) => ({ title, layout, intent })),
    };
    let slide: Slide;
    if (model && started.engine === 'llm') {
      await deps.budget.assertAvailable(started.owner_id);
      slide = (await llmSlide(model, outline, index, item)).slide;
    } else {
      slide = local(false, new Map([[index, item.layout]])).artifact.slides[index] ?? current;
    }
    return {
      artifact: { title: started.title, slides: slides.map((s, i) => (i === index ? slide : s)) },
      engine: started.engine!,
      model: started.model!,
      degraded: started.degraded,
      notice: started.notice,
      usage: null,
      cacheable: false,
    };
  }

  async function fail(job: DeckGenerationJob, reason: string): Promise<void> {
    await decks.fail(job.presentationId, job.generation, reason);
    deps.notify(deckJobId(job.presentationId, job.generation), { status: 'failed', progress: 100 });
  }

  return {
    async generate(job: DeckGenerationJob): Promise<JobResult> {
      const jobId = deckJobId(job.presentationId, job.generation);
      const started = await decks.startGenerating(job.presentationId, job.generation);
      if (!started) return 'skipped';
      const progress = (value: number) => deps.notify(jobId, { status: 'generating', progress: value });
      progress(10);
      let made: Made;
      try {
        made =
          job.slide === null
            ? await wholeDeck(started, progress)
            : await oneSlide(started, job.slide, job.layout);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const what =
          job.slide === null ? 'The deck was not generated' : `Slide ${job.slide + 1} was not regenerated`;
        await fail(job, `${what}: ${error.detail}`);
        return 'done';
      }
      // The cache entry commits with the deck: a ready deck's identical request is a hit at once.
      const stored = await transaction(async () => {
        if (!(await decks.complete(job.presentationId, job.generation, made))) return false;
        if (made.cacheable) {
          const output: CachedDeck = { artifact: made.artifact, engine: made.engine, notice: made.notice };
          await deps.aiCache.put({
            key: job.cacheKey,
            ownerId: started.owner_id,
            task: 'deck',
            output,
            model: made.model,
            usage: made.usage,
            ttlSeconds: deps.cacheTtlSeconds,
          });
        }
        return true;
      });
      if (!stored) return 'skipped';
      deps.notify(jobId, { status: 'ready', progress: 100 });
      return 'done';
    },

    /**
     * The reconcile sweep for decks whose job was lost (queue restarted, worker gone): a deck without slides
     * gets a new generation and a new job, in one transaction; a lost slide regenerate leaves the deck as it
     * was, saying so. Returns how many were handled.
     */
    async reviveStalled(stalledAfterMs: number): Promise<number> {
      const stalled = await decks.stalled(new Date(Date.now() - stalledAfterMs), STALLED_BATCH);
      let handled = 0;
      for (const deck of stalled) {
        const done = deck.has_slides
          ? await decks.fail(
              deck.id,
              deck.generation,
              'The slide was not regenerated: its job was lost; try again.',
            )
          : await transaction(async () => {
              const row = await decks.revive(deck.id, deck.generation);
              if (!row) return false;
              await deps.publish('presentation.generation-requested', deck.id, {
                presentationId: deck.id,
                generation: row.generation,
                cacheKey: row.cache_key,
                slide: null,
                layout: null,
              });
              return true;
            });
        if (done) handled += 1;
      }
      return handled;
    },

    /** After the last attempt: the deck ends failed (or, for a slide, as it was) with a reason to read. */
    exhausted: (job: DeckGenerationJob, error: Error) =>
      fail(job, `Deck generation failed: ${error instanceof AppError ? error.detail : 'an internal error'}.`),
  };
}

export type DeckGenerator = ReturnType<typeof createDeckGenerator>;

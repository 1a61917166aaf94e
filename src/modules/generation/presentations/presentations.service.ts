import { uuidv7 } from 'uuidv7';
import { isAiError } from '../../../platform/ai/ai-errors.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { AppError } from '../../../platform/errors.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import type { TokenBudget } from '../../ai-usage/index.ts';
import type { Actor } from '../../users/index.ts';
import type { AiCacheRepository } from '../ai-cache/ai-cache.repository.ts';
import type { DocumentChunksRepository } from '../sources/document-chunks.repository.ts';
import { deckCacheKey } from './deck-cache-key.ts';
import { assertTheme, readyDocuments, templateOf } from './deck-inputs.ts';
import { localDeck } from './deck-engines.ts';
import { readCachedDeck, type DeckOutline } from './deck.schema.ts';
import { EXTRACTIVE_DECK_MODEL } from './extractive-deck.ts';
import { MAX_DECK_CHUNKS } from './generate-deck.job.ts';
import type { LayoutId } from './layouts.ts';
import { llmOutline } from './llm-deck.ts';
import { deckJobId, type PublishPresentationEvent } from './presentation.events.ts';
import { presentationNotFound } from './presentations.errors.ts';
import type { DeckRow, NewDeck, PresentationsRepository } from './presentations.repository.ts';
import type { Template } from './templates.ts';

/** Seconds a client is asked to wait after the model failed, unless the provider said otherwise. */
const AI_RETRY_AFTER_SECONDS = 30;

export interface CreateDeckInput {
  prompt: string;
  numCards: number;
  style: string;
  templateId: string;
  themeId: string;
  documentIds?: string[];
  /** `model`: the AI model or a 503, never the extractive fallback. */
  engine?: 'auto' | 'model';
}

export interface PresentationsServiceDeps {
  decks: PresentationsRepository;
  chunks: DocumentChunksRepository;
  aiCache: AiCacheRepository;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishPresentationEvent;
  /** Undefined in embedded mode: the local engine builds decks. */
  llm: Llm | undefined;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  maxInputTokens: number;
}

export type CreatedDeck = { deck: DeckRow; jobId: string | null };

/** Deck use cases: create (from the owner's cache when possible), read, list, re-theme, regenerate a slide, delete. */
export function createPresentationsService(deps: PresentationsServiceDeps) {
  const { decks, transaction } = deps;

  async function findOwned(actor: Actor, id: string): Promise<DeckRow> {
    const row = await decks.findById(actor.id, id);
    if (!row) throw presentationNotFound();
    return row;
  }

  /** The model's outline, or what to do when the model failed: fall back (undefined) or refuse with a 503. */
  async function outlineOrFallback(
    actor: Actor,
    input: CreateDeckInput,
    template: Template,
    documentIds: string[],
  ) {
    const llm = deps.llm!;
    const chunks = await deps.chunks.chunksOf(documentIds, MAX_DECK_CHUNKS);
    const brief = {
      prompt: input.prompt,
      style: input.style,
      numCards: input.numCards,
      layouts: template.layouts,
    };
    try {
      const made = await llmOutline({
        llm,
        userId: actor.id,
        brief,
        chunks,
        maxInputTokens: deps.maxInputTokens,
      });
      return { outline: made.outline, chunks };
    } catch (error) {
      if (!isAiError(error)) throw error;
      if (input.engine !== 'model') return { outline: undefined, chunks };
      throw new AppError('AI_UNAVAILABLE', 503, 'The AI service failed or was too slow; retry shortly.', {
        cause: error,
        headers: { 'retry-after': String(AI_RETRY_AFTER_SECONDS), ...error.headers },
      });
    }
  }

  return {
    async create(actor: Actor, input: CreateDeckInput): Promise<CreatedDeck> {
      const template = templateOf(input.templateId);
      assertTheme(input.themeId);
      const documentIds = [...new Set(input.documentIds ?? [])];
      const documents = await readyDocuments(decks, actor.id, documentIds);
      if (input.engine === 'model' && !deps.llm) {
        throw new AppError(
          'AI_UNAVAILABLE',
          503,
          '`engine: model` needs an AI model, and none is configured.',
        );
      }
      const cacheKey = deckCacheKey({
        userId: actor.id,
        model: deps.llm?.model ?? EXTRACTIVE_DECK_MODEL,
        prompt: input.prompt,
        numCards: input.numCards,
        style: input.style,
        templateId: template.id,
        maxInputTokens: deps.maxInputTokens,
        documents,
      });
      const id = uuidv7();
      const deck: NewDeck = {
        id,
        ownerId: actor.id,
        title: documents[0]?.title ?? input.prompt.slice(0, 90),
        prompt: input.prompt,
        numCards: input.numCards,
        style: input.style,
        templateId: template.id,
        themeId: input.themeId,
        documentIds,
        aiOnly: input.engine === 'model',
        cacheKey,
        outline: null,
      };
      const hit = await deps.aiCache.find(actor.id, cacheKey);
      const cached = hit && readCachedDeck(hit.output);
      if (hit && cached) {
        const ready = { ...cached, model: hit.model, degraded: false, cached: true };
        return { deck: await decks.insert({ ...deck, ready }), jobId: null };
      }
      let outline: DeckOutline | null = null;
      if (deps.llm) {
        await deps.budget.assertAvailable(actor.id);
        // The outline call runs while the request waits, so an outage answers now: degraded, or a 503.
        const made = await outlineOrFallback(actor, input, template, documentIds);
        if (!made.outline) {
          const { prompt, numCards } = input;
          const ready = localDeck({ prompt, numCards, template, chunks: made.chunks }, true);
          return { deck: await decks.insert({ ...deck, ready: { ...ready, cached: false } }), jobId: null };
        }
        outline = made.outline;
      }
      const queued = await transaction(async () => {
        const row = await decks.insert({ ...deck, outline });
        await deps.publish('presentation.generation-requested', id, {
          presentationId: id,
          generation: 1,
          cacheKey,
          slide: null,
          layout: null,
        });
        return row;
      });
      return { deck: queued, jobId: deckJobId(id, 1) };
    },

    get: findOwned,

    async list(actor: Actor, query: { limit: number; cursor?: string }) {
      const rows = await decks.listByOwner(actor.id, decodeCursor(query.cursor), query.limit);
      return toPage(rows, query.limit);
    },

    /** A new look only: the slides and the cached entry stay as they are. */
    async setTheme(actor: Actor, id: string, themeId: string): Promise<DeckRow> {
      assertTheme(themeId);
      if (!(await decks.setTheme(actor.id, id, themeId))) throw presentationNotFound();
      return findOwned(actor, id);
    },

    /** One slide (0-based) made anew, in its layout or in `layout`; the rest of the deck stays. */
    async regenerateSlide(actor: Actor, id: string, slide: number, layout: LayoutId | null) {
      const current = await findOwned(actor, id);
      if (current.status !== 'ready' || !current.slides?.[slide]) {
        throw new AppError(
          'PRESENTATION_SLIDE_NOT_FOUND',
          422,
          `The deck has no slide ${slide} to regenerate (it has ${current.slides?.length ?? 0}${current.status === 'ready' ? '' : ' until it is ready'}).`,
        );
      }
      const template = templateOf(current.template_id);
      if (layout && !template.layouts.includes(layout)) {
        throw new AppError(
          'PRESENTATION_LAYOUT_NOT_IN_TEMPLATE',
          422,
          `The template "${template.id}" has no layout "${layout}"; it has ${template.layouts.join(', ')}.`,
        );
      }
      if (deps.llm && current.engine === 'llm') await deps.budget.assertAvailable(actor.id);
      const generation = await transaction(async () => {
        const restarted = await decks.restart(actor.id, id);
        if (!restarted) {
          throw new AppError(
            'PRESENTATION_BUSY',
            409,
            'The deck is being generated; try again once it is ready.',
          );
        }
        await deps.publish('presentation.generation-requested', id, {
          presentationId: id,
          generation: restarted.generation,
          cacheKey: restarted.cache_key,
          slide,
          layout,
        });
        return restarted.generation;
      });
      return { deck: await findOwned(actor, id), jobId: deckJobId(id, generation) };
    },

    async delete(actor: Actor, id: string): Promise<void> {
      if (!(await decks.delete(actor.id, id))) throw presentationNotFound();
    },
  };
}

export type PresentationsService = ReturnType<typeof createPresentationsService>;

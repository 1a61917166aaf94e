import type { Llm } from '../../../platform/ai/llm.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { TokenBudget } from '../../ai-usage/index.ts';
import type { AiCacheRepository } from '../ai-cache/ai-cache.repository.ts';
import { createDocumentChunksRepository } from '../sources/document-chunks.repository.ts';
import { createDeckGenerationRepository } from './deck-generation.repository.ts';
import { createDeckGenerator } from './generate-deck.job.ts';
import { createPresentationConsumers } from './presentation-consumers.ts';
import type {
  DeckGenerationJob,
  PresentationEvents,
  PublishPresentationEvent,
} from './presentation.events.ts';
import { createPresentationsRepository } from './presentations.repository.ts';
import { createPresentationsService } from './presentations.service.ts';

export interface PresentationsDeps {
  database: Database;
  aiCache: AiCacheRepository;
  publish: PublishPresentationEvent;
  llm: Llm | undefined;
  budget: Pick<TokenBudget, 'assertAvailable'>;
  /** Sends `{status, progress}` to a job's channel; best effort. */
  notify: (jobId: string, message: { status: string; progress: number }) => void;
  enqueueDeckGeneration: (job: DeckGenerationJob) => Promise<void>;
  settings: { maxInputTokens: number; deckCacheTtlSeconds: number };
}

/** The presentations' parts: the service, the job and the consumer that enqueues it. */
export function createPresentations<E extends PresentationEvents>(deps: PresentationsDeps) {
  const { database, aiCache, llm, budget, settings } = deps;
  const transaction = <T>(work: () => Promise<T>) => database.transaction(work);
  const chunks = createDocumentChunksRepository(database);
  return {
    service: createPresentationsService({
      decks: createPresentationsRepository(database),
      chunks,
      aiCache,
      transaction,
      publish: deps.publish,
      llm,
      budget,
      maxInputTokens: settings.maxInputTokens,
    }),
    generator: createDeckGenerator({
      decks: createDeckGenerationRepository(database),
      chunks,
      aiCache,
      transaction,
      publish: deps.publish,
      notify: deps.notify,
      llm,
      budget,
      maxInputTokens: settings.maxInputTokens,
      cacheTtlSeconds: settings.deckCacheTtlSeconds,
    }),
    consumers: createPresentationConsumers<E>({ enqueueDeckGeneration: deps.enqueueDeckGeneration }),
  };
}

import type { OutboxConsumers } from '../../../platform/outbox/outbox.ts';
import type { DeckGenerationJob, PresentationEvents } from './presentation.events.ts';

/** Deck jobs start from the outbox, so a deck row and the job that fills it commit together. */
export function createPresentationConsumers<E extends PresentationEvents>(deps: {
  /** Enqueues presentation.generate (idempotent: the job id comes from presentation id and generation). */
  enqueueDeckGeneration: (job: DeckGenerationJob) => Promise<void>;
}): OutboxConsumers<E> {
  return {
    presentationGeneration: {
      events: ['presentation.generation-requested'],
      handle: (event) => deps.enqueueDeckGeneration(event.payload as unknown as DeckGenerationJob),
    },
  };
}

import type { LayoutId } from './layouts.ts';

/** One generation of a deck: the whole deck, or one slide of it anew. */
export interface DeckGenerationJob {
  presentationId: string;
  generation: number;
  /** Where the whole deck is cached for the owner's identical requests. */
  cacheKey: string;
  /** Regenerate only this slide (0-based); null: the whole deck. */
  slide: number | null;
  /** The layout the regenerated slide takes; null: the one it has. */
  layout: LayoutId | null;
}

/** Events the presentations publish through the outbox (only what something consumes). */
export type PresentationEvents = {
  /** Its consumer enqueues the job (job id from presentation id and generation). */
  'presentation.generation-requested': DeckGenerationJob;
};

export type PublishPresentationEvent = <T extends keyof PresentationEvents>(
  type: T,
  aggregateId: string,
  payload: PresentationEvents[T],
) => Promise<void>;

/** Deterministic per deck and generation, and never equal to a course job's id (`course.generate-…`). */
export const deckJobId = (presentationId: string, generation: number) =>
  `presentation.generate-${presentationId}-${generation}`;

/** The job ids `deckJobId` makes. */
export const DECK_JOB_ID = /^presentation\.generate-([0-9a-f-]{36})-\d+$/;

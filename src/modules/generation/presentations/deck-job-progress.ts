import type { Actor } from '../../users/index.ts';
import { DECK_JOB_ID } from './presentation.events.ts';
import { presentationNotFound } from './presentations.errors.ts';
import type { DeckRow } from './presentations.repository.ts';

/**
 * A deck job's state for a realtime subscriber, in the shape the job publishes (`{status, progress}`), read
 * through the owner check: someone else's deck answers the same 404 as a missing one.
 */
export function deckJobProgress(decks: { get(actor: Actor, id: string): Promise<Pick<DeckRow, 'status'>> }) {
  return async (actor: Actor, jobId: string) => {
    const deckId = DECK_JOB_ID.exec(jobId)?.[1];
    if (!deckId) throw presentationNotFound();
    const { status } = await decks.get(actor, deckId);
    return { status, progress: status === 'ready' || status === 'failed' ? 100 : 0 };
  };
}

import { EXTRACTIVE_DECK_MODEL, extractiveDeck, type ExtractiveDeckInput } from './extractive-deck.ts';
import type { Finished } from './presentations.repository.ts';

const LOCAL_NOTICE =
  'Extractive deck: sections of your documents became slides and their central sentences the points; no AI ' +
  'model is configured.';
const MINIMAL_NOTICE =
  'Minimal deck: no AI model is configured and no documents were given, so the slides only restate your ' +
  'prompt. Add documents (or configure a model) for a real deck.';
export const DEGRADED_NOTICE =
  'Degraded: the AI service failed or was too slow, so this deck was built extractively from your documents ' +
  '(or, without documents, from your prompt alone).';

/** The local engine's deck, saying how it was made: without a model, or in place of a failed one. */
export function localDeck(input: ExtractiveDeckInput, degraded: boolean): Finished {
  const artifact = extractiveDeck(input);
  const notice = degraded ? DEGRADED_NOTICE : input.chunks.length > 0 ? LOCAL_NOTICE : MINIMAL_NOTICE;
  return { artifact, engine: 'extractive', model: EXTRACTIVE_DECK_MODEL, degraded, notice };
}

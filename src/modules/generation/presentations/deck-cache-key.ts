import { createHash } from 'node:crypto';
import { aiCacheKey } from '../ai-cache/ai-cache-key.ts';
import { schemaHash } from '../structured/json-schema.ts';
import { DECK_PROMPT_VERSION } from './deck-prompt.ts';
import { Slide } from './deck.schema.ts';
import { LAYOUTS } from './layouts.ts';

const SCHEMA_HASH =
  schemaHash(Slide) +
  Object.values(LAYOUTS)
    .map((l) => schemaHash(l.content))
    .join('');

/**
 * The owner's cache key for a deck: same prompt, cards, style and template, same documents (content and
 * processing), same model. Not the theme: a theme only changes how the same content looks.
 */
export function deckCacheKey(input: {
  userId: string;
  model: string;
  prompt: string;
  numCards: number;
  style: string;
  templateId: string;
  maxInputTokens: number;
  documents: { id: string; sha256: string; generation: number }[];
}): string {
  return aiCacheKey({
    userId: input.userId,
    task: 'deck',
    promptVersion: DECK_PROMPT_VERSION,
    schemaHash: SCHEMA_HASH,
    model: input.model,
    params: {
      numCards: input.numCards,
      style: input.style,
      templateId: input.templateId,
      maxInputTokens: input.maxInputTokens,
    },
    inputHashes: [
      createHash('sha256').update(input.prompt).digest('hex'),
      ...input.documents.map((d) => `${d.id}:${d.sha256}:${d.generation}`),
    ],
  });
}

import { STOP_WORDS, wordTokens } from '../../platform/ai/word-tokens.ts';

/**
 * Content-word stems: lowercased words without stop words, cut to five letters — a crude stemmer that joins
 * "refunds"/"refunded" and costs nothing (truncation stemming does about as well as Porter for retrieval).
 */
export function stems(text: string): Set<string> {
  return new Set(
    wordTokens(text)
      .filter((word) => !STOP_WORDS.has(word))
      .map((word) => word.slice(0, 5)),
  );
}

/** Share of `query`'s stems found in `candidate`, each stem weighted by `weight` (e.g. its rarity). */
export function coverage(
  query: ReadonlySet<string>,
  candidate: ReadonlySet<string>,
  weight: (stem: string) => number = () => 1,
): number {
  let total = 0;
  let found = 0;
  for (const stem of query) {
    const w = weight(stem);
    total += w;
    if (candidate.has(stem)) found += w;
  }
  return total === 0 ? 0 : found / total;
}

/** A websearch_to_tsquery query matching any content word of `text` (quoted, so no word acts as an operator). */
export function anyOfWords(text: string): string {
  const words = [...new Set(wordTokens(text).filter((word) => !STOP_WORDS.has(word)))];
  return words.map((word) => `"${word}"`).join(' or ');
}

import { splitSentences } from './sentences.ts';
import { estimateTokens } from './token-estimate.ts';

/**
 * The blocks cut to about `maxTokens` by keeping an evenly spread sample of their sentences, in order. A
 * document too long to map-reduce within the deadline is summarised from such a sample (extract, then
 * abstract): every part of it is represented, and the number of model calls stays bounded.
 */
export function evenSample(blocks: string[], maxTokens: number): string[] {
  const sentences = blocks.map((block) => splitSentences(block));
  const total = sentences.flat().reduce((sum, s) => sum + estimateTokens(s), 0);
  if (total <= maxTokens) return blocks;
  const keep = maxTokens / total;
  let seen = 0;
  let kept = 0;
  return sentences
    .map((list) =>
      list
        .filter(() => {
          seen += 1;
          // Keep a sentence whenever the running share falls behind `keep`: an even spread, deterministic.
          if (kept < seen * keep) {
            kept += 1;
            return true;
          }
          return false;
        })
        .join(' '),
    )
    .filter((block) => block !== '');
}

import { STOP_WORDS, wordParts, wordTokens } from './word-tokens.ts';
import type { WordVectors } from './word-vectors.ts';

/**
 * SIF weight a / (a + p(w)) (Arora et al., ICLR 2017, https://openreview.net/pdf?id=SyK00v5xx), with p(w) a
 * Zipf estimate from the word's frequency rank: p(r) = 1 / (r · H), H ≈ ln(vocabulary) + γ. On chunk-length
 * retrieval 3e-5 measured better than 1e-3 and 1e-4 (frequent content words count for less).
 */
const SIF_A = 3e-5;
const ZIPF_NORMALISER = Math.log(341_479) + 0.5772;

export interface SentenceVector {
  vector: number[];
  /** Words seen, known or not. */
  words: number;
}

/** Unit-length SIF-weighted mean of the known words of a text, stop words left out. */
export function createSentenceVectors(wv: WordVectors): (text: string) => SentenceVector {
  const { dimensions, vectors } = wv;
  const index = new Map<string, number>();
  wv.words.forEach((word, i) => index.set(word, i));
  // Weight and dequantising scale folded into one factor per word.
  const factors = wv.scales.map(
    (scale, i) => (scale * SIF_A) / (SIF_A + 1 / (wv.ranks[i]! * ZIPF_NORMALISER)),
  );
  const lookup = (word: string) => (STOP_WORDS.has(word) ? undefined : index.get(word));

  return (text) => {
    const tokens = wordTokens(text);
    const sum = new Float64Array(dimensions);
    let known = 0;
    for (const token of tokens) {
      const whole = lookup(token);
      if (whole !== undefined) {
        accumulate(sum, vectors, whole, factors[whole]!);
        known++;
      } else if (/['-]/.test(token)) {
        // "o'brien" or an unlisted "half-remembered" still counts by its parts.
        for (const part of wordParts(token)) {
          const i = lookup(part);
          if (i === undefined) continue;
          accumulate(sum, vectors, i, factors[i]!);
          known++;
        }
      }
    }
    const direction = known ? sum : pseudoRandom(tokens.length ? tokens : [text], dimensions);
    return { vector: unit(direction), words: tokens.length };
  };
}

// A plain function, not a closure over `sum`: V8 runs this hot loop about twice as fast that way.
function accumulate(sum: Float64Array, vectors: Int8Array, word: number, factor: number): void {
  for (let d = 0, offset = word * sum.length; d < sum.length; d++) sum[d]! += factor * vectors[offset + d]!;
}

// A text without one known word still needs a direction (pgvector's cosine with a zero vector is NaN). Summed
// per-token pseudo-random vectors are deterministic, near-orthogonal to real text and equal for equal words.
function pseudoRandom(tokens: string[], dimensions: number): Float64Array {
  const sum = new Float64Array(dimensions);
  for (const token of tokens) {
    let state = fnv1a(token);
    for (let d = 0; d < dimensions; d++) {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      sum[d]! += state / 2 ** 31 - 1;
    }
  }
  return sum;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function unit(sum: Float64Array): number[] {
  let squares = 0;
  for (const v of sum) squares += v * v;
  const norm = Math.sqrt(squares);
  const vector = new Array<number>(sum.length);
  for (let d = 0; d < sum.length; d++) vector[d] = sum[d]! / norm;
  return vector;
}

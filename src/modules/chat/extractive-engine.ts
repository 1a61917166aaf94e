import { sourceSentences, type Source } from './sources.ts';
import { coverage, stems } from './word-overlap.ts';

export const EXTRACTIVE_CHAT_MODEL = 'local-extractive-v1';
export const EXTRACTIVE_PREAMBLE =
  'Extractive answer (no language model wrote this): the sentences from your documents that best match your question.';
export const NOTHING_FOUND =
  'I found nothing in the documents of this conversation that matches your question.';

const MAX_SENTENCES = 3;
const RUNNER_UP_SHARE = 0.6;
const MAX_CANDIDATES = 240;
const WORDS = { min: 4, max: 80 };

/** Embeds texts into unit-comparable vectors; optional, the lexical score works alone. */
export type EmbedTexts = (texts: string[], signal?: AbortSignal) => Promise<number[][]>;

interface Candidate {
  source: Source;
  text: string;
  stems: Set<string>;
}

/**
 * The local answer engine: quotes the sentences of the retrieved chunks that best support the question, each
 * cited as `[marker]`. Scores mix meaning (sentence vectors, when an embedder is at hand) with the rarity-weighted
 * share of the question's words a sentence contains, plus a small prior for the better-retrieved chunk; runners-up
 * are quoted only when close to the best.
 */
export function createExtractiveEngine(options: { embed?: EmbedTexts } = {}) {
  return {
    model: EXTRACTIVE_CHAT_MODEL,

    async answer(question: string, sources: Source[], signal?: AbortSignal): Promise<string> {
      const candidates = candidatesOf(sources);
      if (candidates.length === 0) return NOTHING_FOUND;
      const scores = await score(question, candidates, options.embed, signal);
      const ranked = candidates
        .map((candidate, i) => ({ candidate, score: scores[i]! }))
        .sort((a, b) => b.score - a.score);
      // Quote the runners-up only when they are nearly as relevant as the best sentence.
      const best = ranked
        .filter(({ score }, i) => i === 0 || score >= RUNNER_UP_SHARE * ranked[0]!.score)
        .slice(0, MAX_SENTENCES);
      const quotes = best.map(({ candidate }) => `“${candidate.text}” [${candidate.source.marker}]`);
      return [EXTRACTIVE_PREAMBLE, ...quotes].join('\n\n');
    },
  };
}

export type ExtractiveEngine = ReturnType<typeof createExtractiveEngine>;

function candidatesOf(sources: Source[]): Candidate[] {
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const source of sources) {
    for (const { text } of sourceSentences(source)) {
      const words = text.split(' ').length;
      if (words < WORDS.min || words > WORDS.max || seen.has(text)) continue;
      seen.add(text); // overlapping chunks repeat sentences
      candidates.push({ source, text, stems: stems(text) });
      if (candidates.length === MAX_CANDIDATES) return candidates;
    }
  }
  return candidates;
}

async function score(
  question: string,
  candidates: Candidate[],
  embed: EmbedTexts | undefined,
  signal: AbortSignal | undefined,
): Promise<number[]> {
  const asked = stems(question);
  const documentFrequency = new Map<string, number>();
  for (const { stems: words } of candidates) {
    for (const word of words) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
  }
  const rarity = (word: string) => Math.log(1 + candidates.length / (1 + (documentFrequency.get(word) ?? 0)));
  const lexical = candidates.map((c) => coverage(asked, c.stems, rarity));
  const meaning = embed ? await similarities(embed, question, candidates, signal) : undefined;
  return candidates.map((c, i) => {
    // Breaks ties towards the better-retrieved chunk without lifting an unrelated sentence much.
    const prior = 0.02 / c.source.marker;
    return (meaning ? 0.5 * Math.max(0, meaning[i]!) + 0.5 * lexical[i]! : lexical[i]!) + prior;
  });
}

async function similarities(
  embed: EmbedTexts,
  question: string,
  candidates: Candidate[],
  signal: AbortSignal | undefined,
): Promise<number[]> {
  const [asked, ...vectors] = await embed([question, ...candidates.map((c) => c.text)], signal);
  return vectors.map((vector) => cosine(asked!, vector));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

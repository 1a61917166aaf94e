import { centralSentences } from './centrality.ts';
import { isProse, splitSentences } from './sentences.ts';
import type { Summarizer, Summary } from './summarizer.ts';

export const EXTRACTIVE_MODEL = 'local-extractive-v1';
const NOTE = "Extractive summary: the document's most central sentences, quoted verbatim.";
const EMPTY_NOTE = 'The document has no text to summarize.';

/**
 * LexRank is quadratic in the sentences it scores: 1,000 take ~0.15 s, while a 2,000-page document has
 * ~50,000. Beyond this many, an even sample across the document is scored.
 */
export const MAX_SCORED_SENTENCES = 1_000;

/** A summary made of the document's most central sentences, quoted verbatim in document order. Deterministic. */
export function createExtractiveSummarizer(options: { sentences?: number } = {}): Summarizer {
  const count = options.sentences ?? 5;
  const summary = (text: string, note: string): Summary => ({
    text,
    model: EXTRACTIVE_MODEL,
    method: 'extractive',
    note,
    usage: { promptTokens: 0, completionTokens: 0 },
  });

  return {
    model: EXTRACTIVE_MODEL,
    async summarize(input) {
      // Joined by line breaks, so a sentence that a chunk boundary cut in two is mended like a wrapped line.
      const sentences = splitSentences(input.sections.map((section) => section.text).join('\n'));
      if (sentences.length === 0) return summary('', EMPTY_NOTE);
      const candidates = selectCandidates(sentences);
      // Nothing reads as prose (a form, a table, a few words): its opening is the most honest summary.
      if (candidates.length === 0) return summary(sentences.slice(0, count).join(' '), NOTE);
      const picked = centralSentences(
        candidates.map((i) => sentences[i]!),
        count,
      ).map((k) => candidates[k]!);
      const text = picked
        .sort((a, b) => a - b)
        .map((i) => sentences[i])
        .join(' ');
      return summary(text, NOTE);
    },
  };
}

/** Indexes of the prose sentences worth scoring, at most MAX_SCORED_SENTENCES spread evenly over the text. */
export function selectCandidates(sentences: string[]): number[] {
  const prose = sentences.flatMap((sentence, i) => (isProse(sentence) ? [i] : []));
  if (prose.length <= MAX_SCORED_SENTENCES) return prose;
  const stride = prose.length / MAX_SCORED_SENTENCES;
  return Array.from({ length: MAX_SCORED_SENTENCES }, (_, k) => prose[Math.floor(k * stride)]!);
}

import type { CitationRow } from '../../platform/db/tables.ts';
import { splitSentences } from '../ingest/index.ts';
import { sourceSentences, type Source, type SourceSentence } from './sources.ts';
import { coverage, stems } from './word-overlap.ts';

// `[2]`, `[1, 3]`; written by the model (asked to) and by the extractive engine.
const MARKERS = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;
const CLAIM_CHARS = 400;
// Without markers, an answer sentence is grounded in the source sentence covering this share of its words.
const GROUNDED = 0.5;
const QUOTE_CHARS = 300;

/**
 * What an answer cites: for each `[n]`, the sentence of source n that best supports the words before the marker
 * (its page comes from that sentence). An answer that cites nothing is grounded by overlap instead, so no answer
 * built on the user's documents goes without page references.
 */
export function citationsFor(answer: string, sources: Source[]): CitationRow[] {
  const byMarker = new Map(sources.map((source) => [source.marker, source]));
  const citations = new Map<string, CitationRow>();
  const add = (source: Source, sentence: SourceSentence) => {
    const quote =
      sentence.text.length > QUOTE_CHARS ? `${sentence.text.slice(0, QUOTE_CHARS - 1)}…` : sentence.text;
    citations.set(`${source.marker}:${quote}`, {
      marker: source.marker,
      documentId: source.documentId,
      title: source.title,
      page: sentence.page,
      chunkId: source.chunkId,
      quote,
    });
  };

  let claimStart = 0;
  for (const match of answer.matchAll(MARKERS)) {
    const claim = stems(answer.slice(Math.max(claimStart, match.index - CLAIM_CHARS), match.index));
    claimStart = match.index + match[0].length;
    for (const marker of match[1]!.split(',').map(Number)) {
      const source = byMarker.get(marker);
      const best = source && bestSentence(claim, sourceSentences(source));
      if (source && best) add(source, best.sentence);
    }
  }
  if (citations.size > 0) return [...citations.values()];

  for (const sentence of splitSentences(answer)) {
    const claim = stems(sentence);
    const found = sources
      .map((source) => ({ source, best: bestSentence(claim, sourceSentences(source)) }))
      .filter((f) => f.best && f.best.coverage >= GROUNDED)
      .sort((a, b) => b.best!.coverage - a.best!.coverage)[0];
    if (found) add(found.source, found.best!.sentence);
  }
  return [...citations.values()];
}

function bestSentence(claim: Set<string>, sentences: SourceSentence[]) {
  let best: { sentence: SourceSentence; coverage: number } | undefined;
  for (const sentence of sentences) {
    const share = coverage(claim, stems(sentence.text));
    if (!best || share > best.coverage) best = { sentence, coverage: share };
  }
  return best;
}

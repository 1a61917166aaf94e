import { splitSentences } from '../ingest/index.ts';
import { estimateTokens } from '../../platform/ai/ai-hooks.ts';

/** A retrieved chunk as the answer engines see it: numbered, so answers cite it as `[marker]`. */
export interface Source {
  marker: number;
  chunkId: string;
  documentId: string;
  title: string;
  pageFrom: number;
  pageTo: number;
  /** Offsets in `text` where each following page begins. */
  pageBreaks: number[];
  text: string;
}

export interface SourceSentence {
  text: string;
  page: number;
}

/** A source's sentences with the page each one starts on (a sentence cut by a page break counts twice). */
export function sourceSentences(source: Source): SourceSentence[] {
  const bounds = [0, ...source.pageBreaks, source.text.length];
  return bounds
    .slice(1)
    .flatMap((end, i) =>
      splitSentences(source.text.slice(bounds[i], end)).map((text) => ({ text, page: source.pageFrom + i })),
    );
}

/** Chunks in retrieval order, numbered from 1, as many as fit `budgetTokens` (always at least the first). */
export function packSources(chunks: Omit<Source, 'marker'>[], budgetTokens: number): Source[] {
  const sources: Source[] = [];
  let spent = 0;
  for (const chunk of chunks) {
    spent += estimateTokens(chunk.text);
    if (sources.length > 0 && spent > budgetTokens) break;
    sources.push({ ...chunk, marker: sources.length + 1 });
  }
  return sources;
}

import { citationsFor, type Source } from '../../chat/index.ts';

/**
 * The citations (document, page, chunk, quote) of generated text that names excerpt numbers: the numbered
 * excerpts that exist, resolved to their best-supporting sentence; with none named, the excerpts whose
 * sentences cover the text's words.
 */
export function citationsOf(text: string, markers: number[], sources: Source[], max: number) {
  const known = markers.filter((m) => sources.some((s) => s.marker === m));
  const cited = known.length > 0 ? `${text} [${known.join(', ')}]` : text;
  return citationsFor(cited, sources)
    .slice(0, max)
    .map(({ documentId, page, chunkId, quote }) => ({ documentId, page, chunkId, quote }));
}

// Splits a document's pages into overlapping chunks of about `targetTokens` for embedding and search.
//
// Offsets refer to documentText(pages): the page texts joined with "\n\n" in page order, so
// documentText(pages).slice(chunk.charStart, chunk.charEnd) === chunk.text. A plain-text document is
// one page, page 1. When a PDF is extracted in page-range jobs, each range is its own "document".

export interface PageText {
  page: number;
  text: string;
}

export interface Chunk {
  ord: number;
  pageFrom: number;
  pageTo: number;
  charStart: number;
  charEnd: number;
  text: string;
  /** Offsets in `text` where each following page begins (pages pageFrom + 1 … pageTo). */
  pageBreaks: number[];
}

export interface ChunkOptions {
  /** Largest chunk, in estimated tokens (default 800). */
  targetTokens?: number;
  /** Tokens repeated from the end of the previous chunk (default 100); below half of targetTokens. */
  overlapTokens?: number;
}

// Approximate tokens without a vocabulary: each run of up to 6 letters/digits, each CJK character and
// each other visible character is one token. English prose comes out at ~1.3 tokens per word, like
// common BPE tokenizers.
const TOKEN =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]|[[\p{L}\p{N}]--[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]]{1,6}|[^\s\p{L}\p{N}]/gv;

export function estimateTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

/** The string that chunk offsets index into. */
export function documentText(pages: readonly PageText[]): string {
  return pages.map((p) => p.text).join('\n\n');
}

// How good the gap before a token is as a chunk boundary.
// 0: no gap (inside a word, or before punctuation): only when nothing else is in reach
const WORD = 1;
const SENTENCE = 2;
const PARAGRAPH = 3;

const SENTENCE_END = new Set(['.', '!', '?', '…']);
const CLOSERS = new Set(['"', "'", ')', ']', '”', '’', '»']);

interface Tokens {
  starts: number[];
  ends: number[];
  /** breaks[k]: quality of the gap before token k. */
  breaks: Uint8Array;
}

function tokenize(text: string): Tokens {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const match of text.matchAll(TOKEN)) {
    starts.push(match.index);
    ends.push(match.index + match[0].length);
  }
  const breaks = new Uint8Array(starts.length);
  for (let k = 1; k < starts.length; k++) {
    const gapStart = ends[k - 1]!;
    const gap = text.slice(gapStart, starts[k]);
    if (gap === '') continue;
    let last = text[gapStart - 1]!;
    if (CLOSERS.has(last)) last = text[gapStart - 2] ?? '';
    breaks[k] = /\n\s*\n/.test(gap) ? PARAGRAPH : SENTENCE_END.has(last) ? SENTENCE : WORD;
  }
  return { starts, ends, breaks };
}

function pageLocator(pages: readonly PageText[]) {
  const offsets: number[] = [];
  let offset = 0;
  for (const { text } of pages) {
    offsets.push(offset);
    offset += text.length + 2;
  }
  // Chunks arrive in order, so each cursor only moves forward: O(pages) over the whole document.
  const cursor = () => {
    let i = 0;
    return (charIndex: number) => {
      while (i + 1 < offsets.length && offsets[i + 1]! <= charIndex) i++;
      return pages[i]!.page;
    };
  };
  let next = 0;
  const breaksWithin = (charStart: number, charEnd: number) => {
    while (next < offsets.length && offsets[next]! <= charStart) next++;
    const breaks: number[] = [];
    for (let i = next; i < offsets.length && offsets[i]! < charEnd; i++) breaks.push(offsets[i]! - charStart);
    return breaks;
  };
  return { pageOfStart: cursor(), pageOfEnd: cursor(), breaksWithin };
}

function validate(pages: readonly PageText[], target: number, overlap: number): void {
  if (!Number.isInteger(target) || target < 2) throw new RangeError('targetTokens must be an integer >= 2');
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= target / 2) {
    throw new RangeError('overlapTokens must be an integer >= 0 and below half of targetTokens');
  }
  for (let i = 1; i < pages.length; i++) {
    if (pages[i]!.page <= pages[i - 1]!.page) throw new RangeError('pages must be in ascending page order');
  }
}

/**
 * Greedy, linear-time chunking: each chunk holds at most `targetTokens` tokens and, except the last, at
 * least half that; it ends at the latest paragraph break in the second half of its budget, else the
 * latest sentence end, else word gap. The next chunk starts at the first word boundary `overlapTokens`
 * before the end. Chunks may span pages; pageFrom/pageTo say which.
 */
export function chunkPages(pages: readonly PageText[], options: ChunkOptions = {}): Chunk[] {
  const target = options.targetTokens ?? 800;
  const overlap = options.overlapTokens ?? 100;
  validate(pages, target, overlap);
  const text = documentText(pages);
  const { starts, ends, breaks } = tokenize(text);
  const { pageOfStart, pageOfEnd, breaksWithin } = pageLocator(pages);
  const count = starts.length;
  const minTokens = Math.ceil(target / 2);

  const chunks: Chunk[] = [];
  let first = 0;
  while (first < count) {
    let end = Math.min(first + target, count);
    if (end < count) {
      let quality = breaks[end]!;
      for (let k = end - 1; k >= first + minTokens && quality < PARAGRAPH; k--) {
        if (breaks[k]! > quality) [quality, end] = [breaks[k]!, k];
      }
    }
    const charStart = starts[first]!;
    const charEnd = ends[end - 1]!;
    chunks.push({
      ord: chunks.length,
      pageFrom: pageOfStart(charStart),
      pageTo: pageOfEnd(charEnd - 1),
      charStart,
      charEnd,
      text: text.slice(charStart, charEnd),
      pageBreaks: breaksWithin(charStart, charEnd),
    });
    if (end === count) break;
    let next = end - overlap; // > first: a chunk that is not the last has over `overlap` tokens
    while (next < end && breaks[next]! < WORD) next++;
    first = next;
  }
  return chunks;
}

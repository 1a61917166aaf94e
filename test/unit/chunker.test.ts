import { describe, expect, it } from 'vitest';
import {
  chunkPages,
  documentText,
  estimateTokens,
  type Chunk,
  type PageText,
} from '../../src/modules/ingest/chunking/chunker.ts';
import { pageMarker, sampleProse } from '../fixtures/pdfs.ts';

function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
}

function randomPages(seed: number): PageText[] {
  const next = random(seed);
  const words = [
    'a',
    'to',
    'river',
    'stone',
    'extraordinarily',
    'x1',
    '42',
    'Zoë',
    'naïve',
    'co-op',
    '“quoted”',
  ];
  const pages: PageText[] = [];
  for (let page = 1 + next(3), count = next(8); pages.length < count; page += 1 + next(2)) {
    const paragraphs = Array.from({ length: next(4) }, () => {
      let paragraph = '';
      for (let w = 0, length = 1 + next(120); w < length; w++) {
        paragraph += (w ? (next(9) ? ' ' : '\n') : '') + words[next(words.length)]!;
        if (next(10) === 0) paragraph += ['.', '!', '?', '.)', ',', ';'][next(6)];
      }
      return paragraph;
    });
    pages.push({ page, text: paragraphs.join('\n\n') });
  }
  return pages;
}

function pageStarts(pages: PageText[]): number[] {
  let offset = 0;
  return pages.map(({ text }) => {
    const start = offset;
    offset += text.length + 2;
    return start;
  });
}

/** Page whose text (in documentText) holds character `index`. */
function pageAt(pages: PageText[], index: number): number {
  let offset = 0;
  for (const { page, text } of pages) {
    if (index < offset + text.length) return page;
    offset += text.length + 2;
  }
  throw new Error(`offset ${index} is in no page`);
}

function checkInvariants(pages: PageText[], chunks: Chunk[], target: number, overlap: number): void {
  const text = documentText(pages);
  let covered = 0;
  chunks.forEach((chunk, i) => {
    expect(chunk.ord).toBe(i);
    expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
    expect(chunk.text.trim()).toBe(chunk.text);
    expect(chunk.text).not.toBe('');
    expect(chunk.pageFrom).toBe(pageAt(pages, chunk.charStart));
    expect(chunk.pageTo).toBe(pageAt(pages, chunk.charEnd - 1));
    // Breaks are exactly the page starts strictly inside the chunk.
    const inside = pageStarts(pages).filter((at) => at > chunk.charStart && at < chunk.charEnd);
    expect(chunk.pageBreaks).toEqual(inside.map((at) => at - chunk.charStart));
    const tokens = estimateTokens(chunk.text);
    expect(tokens).toBeLessThanOrEqual(target);
    if (i < chunks.length - 1) expect(tokens).toBeGreaterThanOrEqual(target / 2);
    // Nothing skipped: the next chunk starts inside this one or after whitespace only.
    expect(text.slice(covered, chunk.charStart).trim()).toBe('');
    const previous = chunks[i - 1];
    if (previous) {
      expect(chunk.charStart).toBeGreaterThan(previous.charStart);
      const shared = estimateTokens(text.slice(chunk.charStart, previous.charEnd));
      expect(shared).toBeLessThanOrEqual(overlap);
    }
    covered = Math.max(covered, chunk.charEnd);
  });
  expect(text.slice(covered).trim()).toBe('');
}

describe('documentText', () => {
  it('joins page texts with a blank line, in the order given', () => {
    expect(
      documentText([
        { page: 1, text: 'one' },
        { page: 2, text: '' },
        { page: 5, text: 'five' },
      ]),
    ).toBe('one\n\n\n\nfive');
  });
});

describe('estimateTokens', () => {
  it('counts short words, 6-letter pieces of long words, CJK characters and punctuation', () => {
    expect(estimateTokens('The quick brown fox.')).toBe(5);
    expect(estimateTokens('extraordinarily')).toBe(3);
    expect(estimateTokens('abc漢字かな한국')).toBe(7);
    expect(estimateTokens('  ')).toBe(0);
  });
});

describe('chunkPages', () => {
  it('keeps offsets, pages, sizes and overlap right on random documents', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const pages = randomPages(seed);
      const next = random(seed * 31);
      const target = 8 + next(150);
      const overlap = next(Math.ceil(target / 2));
      const chunks = chunkPages(pages, { targetTokens: target, overlapTokens: overlap });
      checkInvariants(pages, chunks, target, overlap);
      expect(chunkPages(pages, { targetTokens: target, overlapTokens: overlap })).toEqual(chunks);
    }
  });

  it('uses 800-token chunks with ~100 tokens of overlap by default, across pages', () => {
    const pages = Array.from({ length: 12 }, (_, i) => ({
      page: i + 1,
      text: `${pageMarker(i + 1)} ${sampleProse(i + 1, 12)}\n\n${sampleProse(i + 100, 12)}`,
    }));
    const chunks = chunkPages(pages);
    checkInvariants(pages, chunks, 800, 100);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.some((c) => c.pageTo > c.pageFrom)).toBe(true);
    const text = documentText(pages);
    for (const [previous, chunk] of chunks.slice(1).map((c, i) => [chunks[i]!, c] as const)) {
      expect(estimateTokens(text.slice(chunk.charStart, previous.charEnd))).toBeGreaterThan(90);
    }
    for (const { page } of pages) {
      const at = text.indexOf(pageMarker(page));
      const holder = chunks.find((c) => c.charStart <= at && at < c.charEnd);
      expect(holder && holder.pageFrom <= page && page <= holder.pageTo).toBe(true);
      const breaksBefore = holder!.pageBreaks.filter((offset) => offset <= at - holder!.charStart).length;
      expect(holder!.pageFrom + breaksBefore).toBe(page);
    }
  });

  it('ends chunks at paragraph breaks when one is in reach', () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => sampleProse(i + 1, 3));
    const pages = [{ page: 1, text: paragraphs.join('\n\n') }];
    const chunks = chunkPages(pages, { targetTokens: 200, overlapTokens: 20 });
    checkInvariants(pages, chunks, 200, 20);
    for (const chunk of chunks.slice(0, -1))
      expect(pages[0]!.text.slice(chunk.charEnd, chunk.charEnd + 2)).toBe('\n\n');
  });

  it('ends chunks at sentence ends inside one long paragraph', () => {
    const pages = [{ page: 1, text: sampleProse(7, 300) }];
    const chunks = chunkPages(pages, { targetTokens: 150, overlapTokens: 15 });
    checkInvariants(pages, chunks, 150, 15);
    for (const chunk of chunks) expect(chunk.text.endsWith('.')).toBe(true);
  });

  it('breaks a huge paragraph without sentences between words, and text without spaces anywhere', () => {
    const words = sampleProse(3, 400).replace(/\./g, '').toLowerCase();
    const wordy = [{ page: 1, text: words }];
    const chunks = chunkPages(wordy, { targetTokens: 100, overlapTokens: 10 });
    checkInvariants(wordy, chunks, 100, 10);
    for (const chunk of chunks) expect(`${words} `[chunk.charEnd]).toBe(' ');

    const solid = [{ page: 1, text: 'x'.repeat(6_000) }];
    const pieces = chunkPages(solid, { targetTokens: 100, overlapTokens: 10 });
    checkInvariants(solid, pieces, 100, 10);
    // No word gap to restart at, so no overlap: ten cuts of 100 six-letter tokens.
    expect(pieces.map((c) => c.text.length)).toEqual(Array<number>(10).fill(600));
  });

  it('returns no chunks for empty or blank documents and one chunk for short text on page 1', () => {
    expect(chunkPages([])).toEqual([]);
    expect(
      chunkPages([
        { page: 1, text: ' \n\n ' },
        { page: 2, text: '' },
      ]),
    ).toEqual([]);
    expect(chunkPages([{ page: 1, text: 'Just a note.' }])).toEqual([
      { ord: 0, pageFrom: 1, pageTo: 1, charStart: 0, charEnd: 12, text: 'Just a note.', pageBreaks: [] },
    ]);
  });

  it('rejects overlaps of half the target or more, and pages out of order', () => {
    expect(() => chunkPages([], { targetTokens: 100, overlapTokens: 50 })).toThrow(RangeError);
    expect(() =>
      chunkPages([
        { page: 2, text: 'b' },
        { page: 1, text: 'a' },
      ]),
    ).toThrow(/ascending/);
  });

  it('chunks a 2,000-page document in linear time', () => {
    const pages = Array.from({ length: 2000 }, (_, i) => ({
      page: i + 1,
      text: `${sampleProse(i + 1, 20)}\n\n${sampleProse(i + 5000, 20)}`,
    }));
    const started = performance.now();
    const chunks = chunkPages(pages);
    const elapsed = performance.now() - started;
    expect(chunks.at(-1)?.pageTo).toBe(2000);
    // ~0.2 s on an idle machine; the bound leaves room for a busy CI box, a quadratic step would not fit.
    expect(elapsed).toBeLessThan(3000);
  });
});

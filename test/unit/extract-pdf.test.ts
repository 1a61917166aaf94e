import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractionError, extractionFailure } from '../../src/modules/ingest/extract/extraction-error.ts';
import { hasTextLayer } from '../../src/modules/ingest/extract/page-text.ts';
import { createPdfExtractor } from '../../src/modules/ingest/extract/pdf-extractor.ts';
import { corruptPdf, encryptedPdf, generatePdf, imageOnlyPdf, pageMarker } from '../fixtures/pdfs.ts';

async function failure(promise: Promise<unknown>): Promise<ExtractionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  return error as ExtractionError;
}

let large: Buffer;
beforeAll(async () => {
  large = await generatePdf({ pages: 300 });
});

describe('PDF extractor', () => {
  const extractor = createPdfExtractor();
  afterAll(() => extractor.close());

  it('extracts the requested pages with their page numbers and leaves the caller’s bytes intact', async () => {
    const pdf = await generatePdf({ pages: 5 });
    expect(await extractor.inspect(pdf)).toEqual({ pageCount: 5 });
    const pages = await extractor.extractPages(pdf, { from: 2, to: 4 });
    expect(pages.map((p) => p.page)).toEqual([2, 3, 4]);
    for (const { page, text } of pages) {
      expect(text.startsWith(`Section ${page}\n\n${pageMarker(page)}`)).toBe(true);
      expect(text).not.toMatch(new RegExp(`aqueduct-(?!${page}\\.)`));
    }
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('keeps paragraphs, collapses spaces and rejoins words hyphenated at line ends', async () => {
    const pdf = await generatePdf({
      pages: 1,
      textForPage: () =>
        'Opening    words here.\n\nThe docu-\nment was long, and the well-\nKnown line stays.',
    });
    const [page] = await extractor.extractPages(pdf, { from: 1, to: 1 });
    expect(page?.text).toBe('Opening words here.\n\nThe document was long, and the well-\nKnown line stays.');
  });

  it('extracts a 300-page PDF in ranges of 25 pages, every marker on its own page', async () => {
    expect(await extractor.inspect(large)).toEqual({ pageCount: 300 });
    const pages = [];
    for (let from = 1; from <= 300; from += 25) {
      pages.push(...(await extractor.extractPages(large, { from, to: from + 24 })));
    }
    expect(pages.map((p) => p.page)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const { page, text } of pages) expect(text).toContain(pageMarker(page));
    expect(hasTextLayer(pages)).toBe(true);
  });

  it('keeps the main event loop responsive while it extracts', async () => {
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const pages = await extractor.extractPages(large, { from: 1, to: 300 });
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    expect(pages).toHaveLength(300);
    // On the main thread the timer would starve for the whole extraction.
    expect(maxGap).toBeLessThan(elapsed / 4);
  });

  it('answers concurrent calls, each with its own pages', async () => {
    const ranges = [
      { from: 1, to: 3 },
      { from: 150, to: 151 },
      { from: 300, to: 300 },
    ];
    const results = await Promise.all(ranges.map((range) => extractor.extractPages(large, range)));
    expect(results.map((pages) => pages.map((p) => p.page))).toEqual([[1, 2, 3], [150, 151], [300]]);
  });

  it('reports a password-protected PDF as encrypted, permanently', async () => {
    const error = await failure(extractor.inspect(await encryptedPdf()));
    expect(error).toMatchObject({ reason: 'encrypted', permanent: true });
    expect(error.message).toMatch(/password protected/);
  });

  it('reports truncated and damaged PDFs as corrupt', async () => {
    expect(await failure(extractor.inspect(await corruptPdf()))).toMatchObject({
      reason: 'corrupt',
      permanent: true,
    });

    // The page tree points at the catalog: the document opens, reading a page fails.
    const valid = (await generatePdf({ pages: 2 })).toString('latin1');
    const damaged = Buffer.from(valid.replace(/\/Kids \[[^\]]*\]/, '/Kids [3 0 R 3 0 R]'), 'latin1');
    expect(await extractor.inspect(damaged)).toEqual({ pageCount: 2 });
    const error = await failure(extractor.extractPages(damaged, { from: 1, to: 2 }));
    expect(error.reason).toBe('corrupt');
  });

  it('reports bytes without a PDF header as unsupported', async () => {
    const error = await failure(extractor.inspect(Buffer.from('<html>not a pdf</html>')));
    expect(error).toMatchObject({ reason: 'unsupported', permanent: true });
  });

  it('finds no text layer in a PDF of drawings', async () => {
    const pdf = await imageOnlyPdf(3);
    const pages = await extractor.extractPages(pdf, { from: 1, to: 3 });
    expect(pages.map((p) => p.text)).toEqual(['', '', '']);
    expect(hasTextLayer(pages)).toBe(false);
    expect(extractionFailure.noText().message).toMatch(/no text layer \(scanned images\?\)/);
  });

  it('rejects page ranges outside the document', async () => {
    const pdf = await generatePdf({ pages: 2 });
    await expect(extractor.extractPages(pdf, { from: 2, to: 3 })).rejects.toThrow(/outside 1-2/);
    await expect(extractor.extractPages(pdf, { from: 0, to: 1 })).rejects.toThrow(/outside 1-2/);
  });
});

describe('PDF extractor limits', () => {
  it('refuses PDFs with more pages than maxPages', async () => {
    const extractor = createPdfExtractor({ maxPages: 3 });
    try {
      const pdf = await generatePdf({ pages: 4 });
      const error = await failure(extractor.inspect(pdf));
      expect(error).toMatchObject({ reason: 'too_many_pages', permanent: true });
      expect(error.message).toBe('PDF has 4 pages, which exceeds 3 pages; split it into smaller files');
      expect((await failure(extractor.extractPages(pdf, { from: 1, to: 1 }))).reason).toBe('too_many_pages');
      expect(extractionFailure.tooManyPages(2345, 2000).message).toMatch(/exceeds 2,000 pages/);
    } finally {
      await extractor.close();
    }
  });

  it('refuses a call whose text exceeds maxTextBytes', async () => {
    const extractor = createPdfExtractor({ maxTextBytes: 2000 });
    try {
      const pdf = await generatePdf({ pages: 6 });
      expect(await extractor.extractPages(pdf, { from: 1, to: 1 })).toHaveLength(1);
      const error = await failure(extractor.extractPages(pdf, { from: 1, to: 6 }));
      expect(error).toMatchObject({ reason: 'too_large', permanent: true });
      expect(error.message).toBe('PDF text exceeds 2 KB; split it into smaller files');
    } finally {
      await extractor.close();
    }
  });

  it('times out a slow call, retryably, and serves the next call from a fresh worker', async () => {
    const extractor = createPdfExtractor({ timeoutMs: 250 });
    try {
      const error = await failure(extractor.extractPages(large, { from: 1, to: 300 }));
      expect(error).toMatchObject({ reason: 'timeout', permanent: false });
      const small = await generatePdf({ pages: 2 });
      expect(await extractor.inspect(small)).toEqual({ pageCount: 2 });
      const [page] = await extractor.extractPages(small, { from: 2, to: 2 });
      expect(page?.text).toContain(pageMarker(2));
    } finally {
      await extractor.close();
    }
  });

  it('refuses calls once closed', async () => {
    const extractor = createPdfExtractor();
    await extractor.close();
    await expect(extractor.inspect(await generatePdf({ pages: 1 }))).rejects.toThrow(/closed/);
  });
});

describe('hasTextLayer', () => {
  it('needs about 10 letters per page', () => {
    expect(hasTextLayer([])).toBe(false);
    expect(hasTextLayer([{ text: '12 34 56 78 90 — 42' }])).toBe(false);
    expect(hasTextLayer([{ text: 'Ten letters' }])).toBe(true);
    expect(hasTextLayer([{ text: 'Ten letters' }, { text: '3' }])).toBe(false);
    expect(hasTextLayer([{ text: 'Zwölf Wörter stehen hier' }, { text: 'iv' }])).toBe(true);
  });
});

// PDFs and prose made on the spot with pdfkit: the seed's documents, the benchmarks' and the tests' fixtures.
import PDFDocument from 'pdfkit';

/**
 * pdfkit stamps the current time into every file (and derives the file ID from it); a fixed date makes the same
 * pages give the same bytes, so a second seed finds its documents by hash instead of adding copies.
 */
const FIXED_CREATION_DATE = new Date('2024-01-01T00:00:00Z');

const WORDS = (
  'river stone lantern harbor orchard meadow copper signal winter garden mirror thunder canyon ' +
  'ledger marble violet compass falcon timber velvet glacier ember quarry beacon saddle prairie ' +
  'anchor cobalt willow thistle bramble granite harvest lagoon summit tundra cascade ferry pepper ' +
  'quartz walnut crimson lattice orbit pylon saffron tide vessel wharf yarrow zephyr basalt cedar'
).split(' ');

/** A small deterministic generator (an LCG): the same seed always gives the same sequence. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return (state >>> 8) % n;
  };
}

/** Deterministic prose: `sentences` sentences of 6-15 words drawn from a small vocabulary by `seed`. */
export function sampleProse(seed: number, sentences: number): string {
  const next = seededRandom(seed);
  const out: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const words = Array.from({ length: 6 + next(10) }, () => WORDS[next(WORDS.length)]);
    const sentence = words.join(' ');
    out.push(sentence[0]!.toUpperCase() + sentence.slice(1) + '.');
  }
  return out.join(' ');
}

/** Draws a PDF with pdfkit and collects its bytes. */
export function renderPdf(
  options: PDFKit.PDFDocumentOptions,
  draw: (doc: PDFKit.PDFDocument) => void,
): Promise<Buffer> {
  const doc = new PDFDocument({
    autoFirstPage: false,
    ...options,
    info: { CreationDate: FIXED_CREATION_DATE, ...options.info },
  });
  const parts: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (part: Buffer) => parts.push(part));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });
  draw(doc);
  doc.end();
  return done;
}

/**
 * A PDF whose page n holds `textForPage(n)`: paragraphs ("\n\n"-separated) set apart by a blank line, and a
 * first line starting with `# ` set as a heading. Same arguments, same bytes.
 */
export function pdfFromPages(options: {
  pages: number;
  textForPage: (page: number) => string;
  title?: string;
  pdfOptions?: PDFKit.PDFDocumentOptions;
}): Promise<Buffer> {
  const { pages, textForPage, title, pdfOptions = {} } = options;
  const info = title ? { Title: title, ...pdfOptions.info } : pdfOptions.info;
  return renderPdf({ ...pdfOptions, ...(info ? { info } : {}) }, (doc) => {
    for (let page = 1; page <= pages; page++) {
      doc.addPage().fontSize(11);
      for (const paragraph of textForPage(page).split('\n\n')) {
        if (paragraph.startsWith('# ')) doc.fontSize(16).text(paragraph.slice(2)).fontSize(11).moveDown();
        else doc.text(paragraph).moveDown();
      }
    }
  });
}

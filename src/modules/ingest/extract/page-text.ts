import { normalizeText } from './normalize-text.ts';

/** The fields of a pdf.js `TextItem` that page layout needs. */
export interface TextRun {
  str: string;
  hasEOL: boolean;
  /** [a, b, c, d, x, y] in PDF space (y grows upwards). */
  transform: number[];
}

// A vertical gap above this many font sizes between two lines starts a new paragraph (line spacing is
// usually ~1.2 font sizes; a blank line or paragraph spacing makes it 2+).
const PARAGRAPH_GAP = 1.5;

interface Line {
  text: string;
  y: number;
  size: number;
}

function startsParagraph(previous: Line, line: Line): boolean {
  // Moving up the page means a new column or text box.
  return line.y > previous.y || previous.y - line.y > PARAGRAPH_GAP * Math.max(previous.size, line.size);
}

/** Text of one page: lines from pdf.js runs, paragraphs from vertical gaps, line-end hyphens rejoined. */
export function pageText(runs: readonly TextRun[]): string {
  const lines: Line[] = [];
  let current: Line | undefined;
  for (const run of runs) {
    if (run.str !== '') {
      const [, , c = 0, d = 0, , y = 0] = run.transform;
      current ??= { text: '', y, size: Math.hypot(c, d) };
      current.text += run.str;
    }
    if (run.hasEOL && current) {
      lines.push(current);
      current = undefined;
    }
  }
  if (current) lines.push(current);

  let text = '';
  lines.forEach((line, i) => {
    const previous = lines[i - 1];
    if (previous) text += startsParagraph(previous, line) ? '\n\n' : '\n';
    text += line.text;
  });
  return normalizeText(text).replace(/(\p{Ll})-\n(?=\p{Ll})/gu, '$1');
}

const MIN_LETTERS_PER_PAGE = 10;

/**
 * Whether a document has a usable text layer: at least 10 letters per page on average. Scanned PDFs
 * yield nothing or only stray page numbers. Decide over the whole document, not one page range.
 */
export function hasTextLayer(pages: readonly { text: string }[]): boolean {
  let letters = 0;
  for (const { text } of pages) letters += text.replace(/\P{L}/gu, '').length;
  return pages.length > 0 && letters >= MIN_LETTERS_PER_PAGE * pages.length;
}

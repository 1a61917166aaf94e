// Markdown, HTML and plain text to the same shape as PDF pages: normalised text, blocks separated by a
// blank line, and the headings found on the way. Pure and synchronous; fine on the main thread for a
// few MB (html-to-text truncates input beyond 16 MiB).
import { compile, type FormatCallback } from 'html-to-text';
import { Lexer, type MarkedToken, type Token } from 'marked';
import { cleanText, normalizeText } from './normalize-text.ts';

export interface Heading {
  level: number;
  text: string;
  /** Offset of the heading's first character in `text`. */
  charStart: number;
}

export interface TextWithHeadings {
  text: string;
  headings: Heading[];
}

const oneLine = (text: string) => normalizeText(text).replace(/\n/g, ' ');

export function plainText(source: string): TextWithHeadings {
  return { text: normalizeText(source), headings: [] };
}

// --- Markdown: walk marked's tokens, appending one normalised block at a time so offsets are exact.

function createBlocks() {
  const blocks: string[] = [];
  const headings: Heading[] = [];
  let length = 0;
  return {
    add(raw: string, headingLevel?: number) {
      const text = headingLevel ? oneLine(raw) : normalizeText(raw);
      if (text === '') return;
      const charStart = blocks.length === 0 ? 0 : length + 2;
      if (headingLevel) headings.push({ level: headingLevel, text, charStart });
      blocks.push(text);
      length = charStart + text.length;
    },
    result: (): TextWithHeadings => ({ text: blocks.join('\n\n'), headings }),
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

// marked decodes numeric character references but leaves named ones to the HTML renderer.
const decodeEntities = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, name: string) => ENTITIES[name]!);

function inline(tokens: Token[]): string {
  let text = '';
  for (const token of tokens as MarkedToken[]) {
    switch (token.type) {
      case 'text':
        text += token.tokens ? inline(token.tokens) : decodeEntities(token.text);
        break;
      case 'escape':
      case 'codespan':
        text += token.text;
        break;
      case 'br':
        text += '\n';
        break;
      case 'html':
        if (/^<br\s*\/?>$/i.test(token.text)) text += '\n';
        break;
      case 'link':
      case 'strong':
      case 'em':
      case 'del':
        text += inline(token.tokens);
        break;
      default: // images, other inline HTML tags, checkboxes: no text of their own
        break;
    }
  }
  return text;
}

// Text of a block nested in a list item, lines kept.
function blockText(token: MarkedToken): string {
  switch (token.type) {
    case 'list':
      return token.items
        .map((item, i) => {
          const body = (item.tokens as MarkedToken[]).map(blockText).filter(Boolean).join('\n');
          return token.ordered ? `${Number(token.start || 1) + i}. ${body}` : body;
        })
        .join('\n');
    case 'paragraph':
    case 'heading':
    case 'text':
      return token.tokens ? inline(token.tokens) : token.text;
    case 'code':
      return token.text;
    case 'blockquote':
      return (token.tokens as MarkedToken[]).map(blockText).join('\n');
    case 'table':
      return [token.header, ...token.rows]
        .map((row) => row.map((cell) => inline(cell.tokens)).join(' '))
        .join('\n');
    case 'html':
      return htmlToText(token.text).text;
    default: // space, hr, def, checkbox
      return '';
  }
}

function addBlocks(tokens: Token[], blocks: ReturnType<typeof createBlocks>): void {
  for (const token of tokens as MarkedToken[]) {
    if (token.type === 'heading') blocks.add(inline(token.tokens), token.depth);
    else if (token.type === 'blockquote') addBlocks(token.tokens, blocks);
    else blocks.add(blockText(token));
  }
}

export function markdownToText(source: string): TextWithHeadings {
  const blocks = createBlocks();
  addBlocks(new Lexer().lex(cleanText(source)), blocks);
  return blocks.result();
}

// --- HTML: html-to-text renders; a heading formatter records each heading, located afterwards as a line.

function converter(found: Omit<Heading, 'charStart'>[]) {
  const heading: FormatCallback = (elem, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    walk(elem.children, builder);
    builder.closeBlock({
      trailingLineBreaks: 2,
      blockTransform: (text) => {
        const line = oneLine(text);
        found.push({ level: Number(elem.name?.slice(1)), text: line });
        return line;
      },
    });
  };
  return compile({
    wordwrap: false,
    formatters: { heading },
    selectors: [
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, format: 'heading' })),
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'hr', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'blockquote', format: 'block' },
      { selector: 'ul', options: { itemPrefix: ' ' } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
}

function findLine(text: string, line: string, from: number): number {
  for (let at = text.indexOf(line, from); at !== -1; at = text.indexOf(line, at + 1)) {
    const end = at + line.length;
    if ((at === 0 || text[at - 1] === '\n') && (end === text.length || text[end] === '\n')) return at;
  }
  return -1;
}

export function htmlToText(source: string): TextWithHeadings {
  const found: Omit<Heading, 'charStart'>[] = [];
  const text = normalizeText(converter(found)(source));
  const headings: Heading[] = [];
  let from = 0;
  for (const { level, text: line } of found) {
    const charStart = line === '' ? -1 : findLine(text, line, from);
    if (charStart === -1) continue; // e.g. a heading inside a table cell
    headings.push({ level, text: line, charStart });
    from = charStart + line.length;
  }
  return { text, headings };
}

import { htmlToText, markdownToText, plainText } from './extract/markup-to-text.ts';

/** A text document's content as plain text with its headings kept as lines, by its detected type. */
export function markupToText(mime: string, source: string): string {
  if (mime === 'text/markdown') return markdownToText(source).text;
  if (mime === 'text/html') return htmlToText(source).text;
  return plainText(source).text;
}

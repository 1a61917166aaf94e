// Control characters other than the whitespace ones, plus BOM and soft hyphen (an invisible break hint).
const INVISIBLE = /[^\P{Cc}\t\n\v\f\r]|[\u00AD\uFEFF]/gu;

/** `\n` line ends and no invisible characters; spacing untouched (it is syntax in Markdown). */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE, '');
}

/** Plain text for indexing: clean, single spaces, no blank-line runs (one blank line = a paragraph break). */
export function normalizeText(text: string): string {
  return cleanText(text)
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

// ICU breaks after any period followed by a capital; these precede a name or a clause, never end a sentence.
const BEFORE_NAME =
  /(?:^|[\s(])(?:\p{Lu}|Dr|Mr|Mrs|Ms|Prof|Rev|Gen|Col|Capt|Lt|Sgt|St|Mt|vs|cf|e\.g|i\.e|viz)\.$/u;

/**
 * A text's sentences, whitespace-normalised, in order. ICU handles decimals ("3.14"), quotes and a lowercase
 * word after "e.g."; we add titles and initials ("Dr. J. Smith") and rejoin lines a PDF wrapped mid-sentence.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let pending = '';
  for (const { segment } of segmenter.segment(unwrapLines(text))) {
    const sentence = `${pending} ${segment}`.replace(/\s+/g, ' ').trim();
    pending = BEFORE_NAME.test(sentence) ? sentence : '';
    if (!pending && sentence) sentences.push(sentence);
  }
  if (pending) sentences.push(pending);
  return sentences;
}

/** Whether a sentence is prose worth quoting, rather than a heading, a table row, a caption or a fragment. */
export function isProse(sentence: string): boolean {
  if (!/^["“'(]?[\p{Lu}\p{N}]/u.test(sentence) || !/[.!?]["”')]?$/u.test(sentence)) return false;
  const words = sentence.split(' ').length;
  if (words < 6 || words > 60) return false;
  const visible = sentence.length - words + 1;
  return sentence.replace(/\P{L}/gu, '').length >= 0.6 * visible;
}

/**
 * Joins lines that a layout wrapped, keeping breaks after finished sentences, around blank lines, and after
 * short unpunctuated lines followed by a capital (headings: ICU breaks at the newline we keep).
 */
function unwrapLines(text: string): string {
  const lines = text.split('\n').map((line) => line.trim());
  let joined = lines[0] ?? '';
  for (let i = 1; i < lines.length; i++) {
    const previous = lines[i - 1]!;
    const line = lines[i]!;
    const keepBreak =
      previous === '' ||
      line === '' ||
      /[.!?:]["”')]?$/u.test(previous) ||
      (/^[\p{Lu}\p{N}]/u.test(line) && previous.split(' ').length <= 8 && !/[,;(-]$/.test(previous));
    joined += keepBreak ? `\n${line}` : previous.endsWith('-') ? line : ` ${line}`;
  }
  return joined;
}

/**
 * Overlapping windows of `window.words` whitespace-separated words, each a slice of the original text, stepping
 * by `words - overlap`. The last window is shifted back to end at the last word, so no window is a tiny tail.
 * A text of at most one window comes back whole.
 */
export function passageWindows(text: string, window: { words: number; overlap: number }): string[] {
  const { words, overlap } = window;
  if (!Number.isInteger(words) || !Number.isInteger(overlap) || overlap < 0 || words <= overlap) {
    throw new RangeError(`passage window needs integers words > overlap >= 0, got ${words}/${overlap}`);
  }
  const spans = [...text.matchAll(/\S+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  if (spans.length <= words) return [text];
  const slice = (first: number) => text.slice(spans[first]![0], spans[first + words - 1]![1]);
  const windows: string[] = [];
  const last = spans.length - words;
  for (let first = 0; first < last; first += words - overlap) windows.push(slice(first));
  windows.push(slice(last));
  return windows;
}

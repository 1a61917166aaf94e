// Small text tools the local (extractive) engines share: courses and decks.

const WORD = /\p{L}[\p{L}\p{N}-]*/gu;
/** Words too common (or too structural) to name a topic. */
const COMMON = new Set(
  (
    'about after again also because been before being between both could does during each every from have ' +
    'here into just more most much must only other over same should some such than that their them then ' +
    'there these they this those through under until very were what when where which while will with would ' +
    'your page section chapter'
  ).split(' '),
);

/** How often each uncommon word of four letters or more occurs in `text` (lower-cased). */
export function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().match(WORD) ?? []) {
    if (word.length >= 4 && !COMMON.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** At most `count` items, spread evenly over the list. */
export function evenSample<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/** Whitespace flattened, cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

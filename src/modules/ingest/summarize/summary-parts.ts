import { estimateTokens } from './token-estimate.ts';

// Coarsest first: a block over budget is cut at paragraphs, then sentences, then words.
const SEPARATORS = [
  { split: /\n\s*\n/, join: '\n\n' },
  { split: /(?<=[.!?])\s+|(?<=[。！？])/u, join: ' ' },
  { split: /\s+/, join: ' ' },
];

/**
 * Consecutive blocks grouped into as few parts as fit `budget` estimated tokens each, in order. A block over
 * budget is cut at the coarsest boundary that makes its pieces fit, and at worst mid-word.
 */
export function packParts(blocks: string[], budget: number): string[] {
  return pack(
    blocks.flatMap((block) => fit(block, budget, 0)),
    budget,
    '\n\n',
  );
}

function fit(text: string, budget: number, level: number): string[] {
  const tokens = estimateTokens(text);
  if (tokens <= budget) return [text];
  const separator = SEPARATORS[level];
  if (!separator) {
    const size = Math.max(1, Math.floor((text.length * budget) / tokens));
    return Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
      text.slice(i * size, (i + 1) * size),
    );
  }
  const pieces = text
    .split(separator.split)
    .filter((piece) => piece !== '')
    .flatMap((piece) => fit(piece, budget, level + 1));
  return pack(pieces, budget, separator.join);
}

function pack(pieces: string[], budget: number, join: string): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let used = 0;
  for (const piece of pieces) {
    const tokens = estimateTokens(piece);
    if (current.length > 0 && used + tokens > budget) {
      parts.push(current.join(join));
      current = [];
      used = 0;
    }
    current.push(piece);
    used += tokens;
  }
  if (current.length > 0) parts.push(current.join(join));
  return parts;
}

import type { Source } from '../../chat/index.ts';

export type SourceChunk = Omit<Source, 'marker'>;

/**
 * Chunks in an order that gives every document its share: round-robin across documents, each in reading
 * order, so a prompt cut at its token budget still covers all of them.
 */
export function interleaveByDocument(chunks: SourceChunk[]): SourceChunk[] {
  const byDocument = new Map<string, SourceChunk[]>();
  for (const chunk of chunks)
    byDocument.set(chunk.documentId, [...(byDocument.get(chunk.documentId) ?? []), chunk]);
  const queues = [...byDocument.values()];
  const ordered: SourceChunk[] = [];
  for (let i = 0; ordered.length < chunks.length; i++) {
    for (const queue of queues) if (i < queue.length) ordered.push(queue[i]!);
  }
  return ordered;
}

/** Splits `items` into `parts` runs of consecutive items of near-equal size (fewer when there are fewer items). */
export function consecutiveRuns<T>(items: T[], parts: number): T[][] {
  const count = Math.min(parts, items.length);
  return Array.from({ length: count }, (_, i) =>
    items.slice(Math.floor((i * items.length) / count), Math.floor(((i + 1) * items.length) / count)),
  );
}

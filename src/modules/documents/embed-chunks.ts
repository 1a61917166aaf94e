import type { Embedder } from '../../platform/ai/embedder.ts';
import { passageWindows } from '../../platform/ai/passage-windows.ts';
import type { EmbeddingsRepository } from './embeddings.repository.ts';

/** A space to embed into, with the embedder of its model. */
export interface EmbedTarget {
  spaceId: number;
  embedder: Embedder;
}

/**
 * Chunks per embedding round (one call to the embedder, then a heartbeat). A windowed embedder turns a chunk
 * into ~25 vectors, each a row in the HNSW index, so its rounds take fewer chunks.
 */
export function embedBatchSize(embedder: Embedder): number {
  return embedder.passageWindow ? 8 : 64;
}

export interface VectorRow {
  chunkId: string;
  windowOrd: number;
  vector: number[];
}

/**
 * The vectors these chunks still need in the target's space: a chunk whose text already has vectors there
 * reuses them (copied in one statement), the others go to the embedder in one call.
 */
export async function vectorsFor(
  repository: EmbeddingsRepository,
  target: EmbedTarget,
  chunks: { id: string; text: string }[],
  task = 'ingest',
): Promise<VectorRow[]> {
  const { spaceId, embedder } = target;
  const reused = await repository.reuseByTextHash(
    spaceId,
    chunks.map((c) => c.id),
  );
  const windows = chunks
    .filter((c) => !reused.has(c.id))
    .flatMap((c) =>
      (embedder.passageWindow ? passageWindows(c.text, embedder.passageWindow) : [c.text]).map(
        (text, windowOrd) => ({ chunkId: c.id, windowOrd, text }),
      ),
    );
  if (windows.length === 0) return [];
  const { vectors } = await embedder.embed(
    windows.map((w) => w.text),
    { task },
  );
  return windows.map((w, i) => ({ chunkId: w.chunkId, windowOrd: w.windowOrd, vector: vectors[i]! }));
}

/** Writes vector rows `perStatement` at a time (PGlite serves one session: statements stay short). */
export async function storeVectors(
  repository: EmbeddingsRepository,
  spaceId: number,
  rows: VectorRow[],
  perStatement: number,
): Promise<void> {
  for (let i = 0; i < rows.length; i += perStatement) {
    await repository.insert(spaceId, rows.slice(i, i + perStatement));
  }
}

/**
 * Embeds a document's chunks that have no vectors yet in the target's space, round by round. False when
 * `afterRound` asked to stop (the job went stale).
 */
export async function embedChunks(
  repository: EmbeddingsRepository,
  target: EmbedTarget,
  documentId: string,
  options: {
    /** The document's chunk count, for the progress fraction. */
    total: number;
    vectorsPerStatement: number;
    afterRound: (progress: number) => Promise<boolean>;
  },
): Promise<boolean> {
  let embedded = 0;
  for (;;) {
    const batch = await repository.pendingChunks(documentId, target.spaceId, embedBatchSize(target.embedder));
    if (batch.length === 0) return true;
    const rows = await vectorsFor(repository, target, batch);
    await storeVectors(repository, target.spaceId, rows, options.vectorsPerStatement);
    embedded += batch.length;
    const progress = options.total > 0 ? Math.min(1, embedded / options.total) : 1;
    if (!(await options.afterRound(progress))) return false;
  }
}

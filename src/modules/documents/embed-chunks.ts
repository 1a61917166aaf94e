import type { Embedder } from '../../platform/ai/embedder.ts';
import { passageWindows } from '../../platform/ai/passage-windows.ts';
import type { EmbeddingsRepository } from './embeddings.repository.ts';

/**
 * Chunks per embedding round (one call to the embedder, then a heartbeat). A windowed embedder turns a chunk
 * into ~25 vectors, each a row in the HNSW index, so its rounds take fewer chunks.
 */
const EMBED_BATCH = { windowed: 8, whole: 64 };

/**
 * Embeds a document's chunks that have no vectors yet in the embedder's space, round by round; a chunk whose
 * text was embedded before reuses those vectors. False when `afterRound` asked to stop (the job went stale).
 */
export async function embedChunks(
  target: { repository: EmbeddingsRepository; embedder: Embedder },
  documentId: string,
  options: {
    /** The document's chunk count, for the progress fraction. */
    total: number;
    vectorsPerStatement: number;
    afterRound: (progress: number) => Promise<boolean>;
  },
): Promise<boolean> {
  const { repository, embedder } = target;
  const spaceId = await repository.ensureSpace(embedder.model, embedder.dimensions);
  let embedded = 0;
  for (;;) {
    const batch = await repository.pendingChunks(
      documentId,
      spaceId,
      embedder.passageWindow ? EMBED_BATCH.windowed : EMBED_BATCH.whole,
    );
    if (batch.length === 0) return true;
    const reused = await repository.reuseByTextHash(
      spaceId,
      batch.map((c) => c.id),
    );
    const fresh = batch.filter((c) => !reused.has(c.id));
    const windows = fresh.flatMap((c) =>
      (embedder.passageWindow ? passageWindows(c.text, embedder.passageWindow) : [c.text]).map(
        (text, windowOrd) => ({ chunkId: c.id, windowOrd, text }),
      ),
    );
    if (windows.length > 0) {
      const { vectors } = await embedder.embed(
        windows.map((w) => w.text),
        { task: 'ingest' },
      );
      const rows = windows.map((w, i) => ({
        chunkId: w.chunkId,
        windowOrd: w.windowOrd,
        vector: vectors[i]!,
      }));
      for (let i = 0; i < rows.length; i += options.vectorsPerStatement) {
        await repository.insert(spaceId, rows.slice(i, i + options.vectorsPerStatement));
      }
    }
    embedded += batch.length;
    const progress = options.total > 0 ? Math.min(1, embedded / options.total) : 1;
    if (!(await options.afterRound(progress))) return false;
  }
}

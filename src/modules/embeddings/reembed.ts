import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbedderRegistry } from '../../platform/ai/embedders.ts';
import type { JobResult } from '../../platform/queue/queue.ts';
import { embedBatchSize, storeVectors, vectorsFor, type EmbeddingsRepository } from '../documents/index.ts';
import type { SpacesRepository } from './spaces.repository.ts';

export interface ReembedDeps {
  spaces: SpacesRepository;
  vectors: EmbeddingsRepository;
  registry: EmbedderRegistry;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  /** Builds the space's HNSW index (idempotent); before its first vector, so the graph grows with each one. */
  ensureIndex: (spaceId: number, dims: number) => Promise<void>;
  dropIndex: (spaceId: number) => Promise<void>;
  /** Tells event-stream followers of the space that it changed; best effort (they also poll). */
  notify: (spaceId: number) => void;
  /** Asks for the re-embed of a building space (idempotent per space). */
  enqueueReembed: (spaceId: number) => Promise<void>;
  /** Asks for a retired space's vectors to be dropped after the grace period. */
  enqueueDrop: (spaceId: number, delayMs: number) => Promise<void>;
  settings: {
    /** Pause between batches (a throttle; 0 in production). */
    delayMs: number;
    /** Chunks per batch; 0 picks the embedder's own round size. */
    batch: number;
    /** How long a retired space keeps its vectors: searches that read it as active just before the flip finish. */
    retireAfterMs: number;
    rowsPerStatement: number;
  };
}

/**
 * The re-embed of a building space: batches over chunk ids (keyset, progress persisted after each batch, so a
 * restarted job continues where it stopped), then a catch-up of chunks that appeared behind the cursor, then one
 * transaction that flips the active space when nothing is missing. Retired spaces lose their vectors in batches
 * and their index, then their row.
 */
export function createReembed(deps: ReembedDeps) {
  const { spaces } = deps;
  const stopping = new AbortController();

  async function flip(spaceId: number): Promise<'flipped' | 'incomplete' | 'gone'> {
    const outcome = await deps.transaction(async () => {
      if (!(await spaces.lockBuilding(spaceId))) return { result: 'gone' as const };
      if (await spaces.hasMissingChunks(spaceId)) return { result: 'incomplete' as const };
      const retired = await spaces.flip(spaceId, await spaces.chunkCount());
      return { result: 'flipped' as const, retired };
    });
    if (outcome.result !== 'flipped') return outcome.result;
    deps.notify(spaceId);
    if (outcome.retired !== undefined) {
      await deps.enqueueDrop(outcome.retired, deps.settings.retireAfterMs).catch(() => undefined);
    }
    return 'flipped';
  }

  return {
    async reembed(spaceId: number): Promise<JobResult> {
      const space = await spaces.find(spaceId);
      if (space?.state !== 'building') return 'skipped';
      const embedder = deps.registry.forSpace(space);
      await deps.ensureIndex(space.id, space.dims);
      const target = { spaceId, embedder };
      const limit = deps.settings.batch || embedBatchSize(embedder);
      let cursor = space.reembed_cursor;
      for (;;) {
        if (stopping.signal.aborted) return 'skipped';
        const batch = await spaces.chunksToEmbed(spaceId, cursor, limit);
        if (batch.length === 0) {
          // Past the end: chunks created behind the cursor meanwhile are caught up from the start.
          if (cursor !== null) {
            cursor = null;
            continue;
          }
          const flipped = await flip(spaceId);
          if (flipped !== 'incomplete') return flipped === 'flipped' ? 'done' : 'skipped';
          continue;
        }
        const rows = await vectorsFor(deps.vectors, target, batch, 'reembed');
        const last = batch.at(-1)!.id;
        // A batch's vectors and the cursor past it commit together: a chunk is never left with part of its windows.
        const recorded = await deps.transaction(async () => {
          await storeVectors(deps.vectors, spaceId, rows, deps.settings.rowsPerStatement);
          return spaces.recordProgress(spaceId, last, batch.length);
        });
        if (!recorded) return 'skipped';
        cursor = last;
        deps.notify(spaceId);
        if (deps.settings.delayMs > 0) {
          await sleep(deps.settings.delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      }
    },

    /** After the last attempt: the space fails with the reason, and its vectors go like a retired space's. */
    async exhausted(spaceId: number, error: Error): Promise<void> {
      if (await spaces.fail(spaceId, error.message.slice(0, 500))) {
        deps.notify(spaceId);
        await deps.enqueueDrop(spaceId, 0).catch(() => undefined);
      }
    },

    /** Drops a retired or failed space: index first (nothing searches it), then vectors in batches, then the row. */
    async drop(spaceId: number): Promise<JobResult> {
      const space = await spaces.find(spaceId);
      if (!space || (space.state !== 'retired' && space.state !== 'failed')) return 'skipped';
      await deps.dropIndex(spaceId);
      while ((await spaces.deleteVectors(spaceId, deps.settings.rowsPerStatement * 20)) > 0) {
        if (stopping.signal.aborted) return 'skipped';
      }
      await spaces.deleteSpace(spaceId);
      return 'done';
    },

    /**
     * The reconcile sweep: every building space gets its job (a no-op while the queue holds it), and spaces
     * retired longer than the grace period get dropped.
     */
    async reconcile(): Promise<number> {
      for (const space of await spaces.inState('building')) await deps.enqueueReembed(space.id);
      const due = await spaces.droppable(new Date(Date.now() - deps.settings.retireAfterMs));
      for (const id of due) await deps.enqueueDrop(id, 0);
      return due.length;
    },

    /** Running batches end at their next boundary (shutdown); the job resumes from its cursor later. */
    stop(): void {
      stopping.abort();
    },
  };
}

export type Reembed = ReturnType<typeof createReembed>;

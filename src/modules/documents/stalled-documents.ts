import type { DocumentStatus } from '../../platform/db/tables.ts';
import type { StageRequest } from './documents.events.ts';
import type { PipelineRepository } from './pipeline.repository.ts';

/** The stage that resumes a document stalled in each active status. */
const STAGE_OF: Partial<Record<DocumentStatus, 'extract' | 'embed' | 'summarize'>> = {
  queued: 'extract',
  extracting: 'extract',
  embedding: 'embed',
  summarizing: 'summarize',
};

/**
 * The sweep for documents whose heartbeat stopped (their job was lost to a crash or a Redis restart): moves
 * each to a new generation and requests its current stage again; answers how many it revived.
 */
export function createStalledSweep(deps: {
  pipeline: Pick<PipelineRepository, 'stalled' | 'revive'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  requestStage: (job: { documentId: string; generation: number }, request: StageRequest) => Promise<void>;
}) {
  const { pipeline } = deps;
  return async function reviveStalled(stalledAfterMs: number): Promise<number> {
    const stalled = await pipeline.stalled(new Date(Date.now() - stalledAfterMs), 100);
    let revived = 0;
    for (const document of stalled) {
      const done = await deps.transaction(async () => {
        const row = await pipeline.revive(document.id, document.generation);
        if (!row) return false;
        const job = { documentId: document.id, generation: row.generation };
        await deps.requestStage(job, { stage: STAGE_OF[row.status] ?? 'extract' });
        return true;
      });
      if (done) revived += 1;
    }
    return revived;
  };
}

import type { IngestPipeline, StageJob } from './modules/documents/index.ts';
import type { JobDefinitions } from './platform/queue/queue.ts';

/** Every background job and its payload. Job ids follow `<stage>-<entity id>-<generation>` (DESIGN §7). */
export type JobPayloads = {
  'maintenance.prune': Record<string, never>;
  'document.extract': StageJob;
  'document.extract-pages': StageJob & { pages: { from: number; to: number } };
  'document.chunk': StageJob;
  'document.embed': StageJob;
  'document.summarize': StageJob;
};

export interface JobDeps {
  pruneOutbox: () => Promise<number>;
  pruneIdempotencyKeys: () => Promise<number>;
  pruneSessions: () => Promise<number>;
  ingest: IngestPipeline;
  log: (counts: Record<string, number>, message: string) => void;
}

const STAGE_ATTEMPTS = 3;
const STAGE_BACKOFF_MS = 2_000;

/** The job registry: TypeScript refuses a JobPayloads entry without its handler, and the reverse. */
export function createJobDefinitions(deps: JobDeps): JobDefinitions<JobPayloads> {
  const { ingest } = deps;
  const stage = <P extends StageJob>(handle: (payload: P) => ReturnType<IngestPipeline['extract']>) => ({
    attempts: STAGE_ATTEMPTS,
    backoffMs: STAGE_BACKOFF_MS,
    handle,
    onExhausted: (payload: P, error: Error) => ingest.exhausted(payload, error),
  });
  return {
    'maintenance.prune': {
      attempts: 3,
      async handle() {
        const counts = {
          outboxEvents: await deps.pruneOutbox(),
          idempotencyKeys: await deps.pruneIdempotencyKeys(),
          refreshTokens: await deps.pruneSessions(),
        };
        deps.log(counts, 'maintenance.prune removed expired rows');
        return 'done';
      },
    },
    'document.extract': stage((job) => ingest.extract(job)),
    'document.extract-pages': stage((job: JobPayloads['document.extract-pages']) => ingest.extractPages(job)),
    'document.chunk': stage((job) => ingest.chunk(job)),
    'document.embed': stage((job) => ingest.embed(job)),
    'document.summarize': stage((job) => ingest.summarize(job)),
  };
}

/** The job that runs a requested stage, and its deterministic id (BullMQ ignores an id it still holds). */
export function stageJob(
  request: StageJob &
    (
      | { stage: 'extract' | 'chunk' | 'embed' | 'summarize' }
      | { stage: 'extract-pages'; pages: { from: number; to: number } }
    ),
) {
  const job = { documentId: request.documentId, generation: request.generation };
  const id = `${request.stage}-${request.documentId}-${request.generation}`;
  if (request.stage === 'extract-pages') {
    return {
      name: 'document.extract-pages' as const,
      payload: { ...job, pages: request.pages },
      jobId: `${id}-${request.pages.from}`,
    };
  }
  return { name: `document.${request.stage}` as const, payload: job, jobId: id };
}

export const PRUNE_EVERY_MS = 24 * 3600 * 1000;

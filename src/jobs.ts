import type { IngestPipeline, StageJob } from './modules/documents/index.ts';
import type { Reembed } from './modules/embeddings/index.ts';
import type { CourseGenerationJob, DeckGenerationJob, Generation } from './modules/generation/index.ts';
import type { FanOut, FanOutJob, RefeedJob } from './modules/social/index.ts';
import type { JobDefinitions, JobResult } from './platform/queue/queue.ts';

/** Every background job and its payload. Job ids follow `<stage>-<entity id>-<generation>` (DESIGN §7). */
export type JobPayloads = {
  'maintenance.prune': Record<string, never>;
  'maintenance.analyze': Record<string, never>;
  'document.extract': StageJob;
  'document.extract-pages': StageJob & { pages: { from: number; to: number } };
  'document.chunk': StageJob;
  'document.embed': StageJob;
  'document.summarize': StageJob;
  'social.fan-out': FanOutJob;
  'social.refeed': RefeedJob;
  'social.digest': Record<string, never>;
  'embeddings.reembed': { spaceId: number };
  'embeddings.drop-space': { spaceId: number };
  'course.generate': CourseGenerationJob;
  'presentation.generate': DeckGenerationJob;
};

export interface JobDeps {
  pruneOutbox: () => Promise<number>;
  pruneIdempotencyKeys: () => Promise<number>;
  pruneSessions: () => Promise<number>;
  pruneAiUsage: () => Promise<number>;
  pruneAiCache: () => Promise<number>;
  prunePhotoSlots: () => Promise<number>;
  /** Planner statistics (embedded PGlite has no autovacuum). */
  analyze: () => Promise<void>;
  courseGenerator: Generation['generator'];
  deckGenerator: Generation['deckGenerator'];
  ingest: IngestPipeline;
  fanOut: FanOut;
  /** Delivers the day's digest to each active reader, once per reader and day. */
  deliverDigests: () => Promise<JobResult>;
  /** Undefined when vector search is off. */
  reembed: Reembed | undefined;
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
          aiUsageDays: await deps.pruneAiUsage(),
          aiCacheEntries: await deps.pruneAiCache(),
          photoSlots: await deps.prunePhotoSlots(),
        };
        deps.log(counts, 'maintenance.prune removed expired rows');
        return 'done';
      },
    },
    'maintenance.analyze': {
      attempts: 1,
      async handle() {
        await deps.analyze();
        return 'done';
      },
    },
    'document.extract': stage((job) => ingest.extract(job)),
    'document.extract-pages': stage((job: JobPayloads['document.extract-pages']) => ingest.extractPages(job)),
    'document.chunk': stage((job) => ingest.chunk(job)),
    'document.embed': stage((job) => ingest.embed(job)),
    'document.summarize': stage((job) => ingest.summarize(job)),
    'social.fan-out': { attempts: 5, backoffMs: 1_000, handle: (job) => deps.fanOut.fanOut(job) },
    'social.refeed': { attempts: 5, backoffMs: 1_000, handle: (job) => deps.fanOut.refeed(job) },
    'social.digest': { attempts: 3, backoffMs: 60_000, handle: () => deps.deliverDigests() },
    'embeddings.reembed': {
      attempts: 5,
      backoffMs: 5_000,
      handle: async ({ spaceId }) => (deps.reembed ? deps.reembed.reembed(spaceId) : 'skipped'),
      onExhausted: async ({ spaceId }, error) => deps.reembed?.exhausted(spaceId, error),
    },
    'embeddings.drop-space': {
      attempts: 5,
      handle: async ({ spaceId }) => (deps.reembed ? deps.reembed.drop(spaceId) : 'skipped'),
    },
    // One structured call per attempt; invalid output fails the course without a retry (see the generator).
    'course.generate': {
      attempts: 2,
      backoffMs: 5_000,
      handle: (job, context) => deps.courseGenerator.generate(job, context),
      onExhausted: (job, error) => deps.courseGenerator.exhausted(job, error),
    },
    // Model failures end the deck inside the job (degraded, or failed when AI-only): a retry is for crashes.
    'presentation.generate': {
      attempts: 2,
      backoffMs: 5_000,
      handle: (job) => deps.deckGenerator.generate(job),
      onExhausted: (job, error) => deps.deckGenerator.exhausted(job, error),
    },
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
/** Also once at start: an embedded database's statistics are otherwise never collected. */
export const ANALYZE_EVERY_MS = 3600 * 1000;
export const DIGEST_EVERY_MS = 24 * 3600 * 1000;

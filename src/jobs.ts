import type { JobDefinitions } from './platform/queue/queue.ts';

/** Every background job and its payload. Job ids follow `<stage>-<entity id>-<generation>` (DESIGN §7). */
export type JobPayloads = {
  'maintenance.prune': Record<string, never>;
};

export interface JobDeps {
  pruneOutbox: () => Promise<number>;
  pruneIdempotencyKeys: () => Promise<number>;
  pruneSessions: () => Promise<number>;
  log: (counts: Record<string, number>, message: string) => void;
}

/** The job registry: TypeScript refuses a JobPayloads entry without its handler, and the reverse. */
export function createJobDefinitions(deps: JobDeps): JobDefinitions<JobPayloads> {
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
  };
}

export const PRUNE_EVERY_MS = 24 * 3600 * 1000;

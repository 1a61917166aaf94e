import { AppError, defineErrors } from '../errors.ts';

/** A handler finishes with `done` or `skipped` (stale or duplicate work); it throws only to be retried. */
export type JobResult = 'done' | 'skipped';

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  progress(percent: number): Promise<void>;
}

export interface JobDefinition<P> {
  handle(payload: P, context: JobContext): Promise<JobResult>;
  /** Runs in all; default 3. Retries wait backoffMs, then twice that, and so on. */
  attempts?: number;
  backoffMs?: number;
  /** After the last attempt failed: record a reason the user can read. */
  onExhausted?(payload: P, error: Error): Promise<void>;
}

export type JobPayloads = Record<string, unknown>;
export type JobDefinitions<M extends JobPayloads> = { [K in keyof M & string]: JobDefinition<M[K]> };

export type JobEvent =
  | { type: 'progress'; name: string; jobId: string; progress: number }
  | { type: 'completed'; name: string; jobId: string; result: JobResult }
  | { type: 'failed'; name: string; jobId: string; error: string; final: boolean };

export interface QueueStats {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  oldestWaitingSeconds: number;
}

/**
 * Triggers work whose state lives in SQL: a lost queue loses nothing that a reconcile sweep cannot re-enqueue.
 * Enqueueing an id the queue still holds does nothing, so producers may repeat themselves.
 */
export interface Queue<M extends JobPayloads> {
  readonly kind: 'memory' | 'bullmq';
  enqueue<N extends keyof M & string>(
    name: N,
    payload: M[N],
    options: { jobId: string; delayMs?: number },
  ): Promise<void>;
  /** Starts consuming jobs in this process. */
  work(options: { concurrency: number }): void;
  /** Runs `name` every `everyMs` (once per period across a fleet); call it where workers run. */
  schedule<N extends keyof M & string>(name: N, payload: M[N], everyMs: number): Promise<void>;
  onEvent(listener: (event: JobEvent) => void): () => void;
  stats(): Promise<QueueStats>;
  ping(): Promise<void>;
  /** Stops taking jobs and waits for the running ones (BullMQ releases them for another worker). */
  close(): Promise<void>;
}

export const QUEUE_ERRORS = defineErrors({
  QUEUE_UNAVAILABLE: {
    status: 503,
    when: 'The job queue (Redis) cannot take work right now; nothing was changed. Retry shortly.',
  },
});

// BullMQ forbids ':' in custom ids; ids are `<stage>-<entity id>-<generation>` (DESIGN §7).
const JOB_ID = /^[\w.-]{1,200}$/;

export function assertJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new Error(`Invalid job id "${jobId}": use letters, digits, '.', '_' or '-'`);
}

export function queueUnavailable(cause: unknown): AppError {
  return new AppError('QUEUE_UNAVAILABLE', 503, 'The job queue is unavailable; retry shortly.', {
    headers: { 'retry-after': '2' },
    cause,
  });
}

export function retryDelayMs(definition: JobDefinition<unknown>, attempt: number): number {
  return (definition.backoffMs ?? 1000) * 2 ** (attempt - 1);
}

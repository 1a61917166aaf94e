import { Queue as BullQueue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import type { Logger } from '../observability/logger.ts';
import { pingRedis } from '../redis.ts';
import {
  assertJobId,
  queueUnavailable,
  type JobDefinitions,
  type JobEvent,
  type JobPayloads,
  type JobResult,
  type Queue,
} from './queue.ts';

const FAILED_KEPT_SECONDS = 24 * 3600;
/** BullMQ's own default lock; JOB_LOCK_MS overrides it. */
const DEFAULT_LOCK_MS = 30_000;

/**
 * The fleet queue on BullMQ. Producers fail fast (no offline queue) so an API request never waits on a dead
 * Redis; workers keep retrying forever (`maxRetriesPerRequest: null`, which BullMQ requires for them).
 */
export function createBullmqQueue<M extends JobPayloads>(
  definitions: JobDefinitions<M>,
  options: { redisUrl: string; name: string; lockMs?: number; logger: Logger },
): Queue<M> {
  const { logger } = options;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const events = new EventEmitter();
  const emit = (event: JobEvent): void => {
    events.emit('event', event);
  };
  const producerConnection = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
  });
  producerConnection.on('error', () => undefined); // reported by the readiness check and failing enqueues
  const queue = new BullQueue(options.name, { connection: producerConnection });
  queue.on('error', (error) => logger.debug({ err: error }, 'queue producer error'));
  /**
   * BullMQ waits for its connection's first 'ready' before sending anything, forever (ioredis keeps reconnecting,
   * so the 'end' BullMQ would reject on never comes): a producer that never reached Redis would hang.
   */
  async function reachable(): Promise<void> {
    if (producerConnection.status !== 'ready') await pingRedis(producerConnection);
  }
  /**
   * Schedules live only in Redis, which may come back empty (no persistence, or a failover): each one this
   * process set is upserted again whenever its connection is ready again. Upserting an unchanged schedule
   * changes nothing, as every worker's start already relies on.
   */
  const schedules = new Map<string, { payload: unknown; everyMs: number }>();
  const upsertSchedule = (name: string, { payload, everyMs }: { payload: unknown; everyMs: number }) =>
    queue.upsertJobScheduler(name, { every: everyMs }, { name, data: payload });
  producerConnection.on('ready', () => {
    for (const [name, schedule] of schedules) {
      upsertSchedule(name, schedule).catch((error: unknown) =>
        logger.warn({ err: error, schedule: name }, 'could not restore a job schedule after a reconnect'),
      );
    }
  });
  let worker: Worker | undefined;
  let workerConnection: Redis | undefined;

  async function process(job: Job): Promise<JobResult> {
    const definition = definitions[job.name];
    if (!definition) throw new Error(`No handler for job "${job.name}"`);
    return definition.handle(job.data as never, {
      jobId: job.id ?? '',
      attempt: job.attemptsMade + 1,
      progress: async (progress) => {
        await job.updateProgress(progress);
        emit({ type: 'progress', name: job.name, jobId: job.id ?? '', progress });
      },
    });
  }

  return {
    kind: 'bullmq',
    async enqueue(name, payload, { jobId, delayMs }) {
      assertJobId(jobId);
      const definition = definitions[name];
      try {
        await reachable();
        await queue.add(name, payload, {
          jobId,
          delay: delayMs,
          attempts: definition.attempts ?? 3,
          backoff: { type: 'exponential', delay: definition.backoffMs ?? 1000 },
          removeOnComplete: true,
          removeOnFail: { age: FAILED_KEPT_SECONDS },
        });
      } catch (error) {
        throw queueUnavailable(error);
      }
    },
    work({ concurrency }) {
      workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
      workerConnection.on('error', () => undefined);
      // A dead worker's job is found by the others' stalled check once its lock expires: checking as often as
      // the lock lasts bounds that delay to about twice the lock (https://docs.bullmq.io/guide/jobs/stalled).
      worker = new Worker(options.name, process, {
        connection: workerConnection,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
      });
      worker.on('error', (error) => logger.warn({ err: error }, 'queue worker error'));
      worker.on('completed', (job: Job, result: JobResult) =>
        emit({ type: 'completed', name: job.name, jobId: job.id ?? '', result }),
      );
      worker.on('failed', (job: Job | undefined, error: Error) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1);
        emit({ type: 'failed', name: job.name, jobId: job.id ?? '', error: error.message, final });
        const definition = definitions[job.name];
        if (final && definition?.onExhausted) {
          definition
            .onExhausted(job.data as never, error)
            .catch((e: unknown) => logger.error({ err: e, jobId: job.id }, 'onExhausted failed'));
        }
      });
    },
    async schedule(name, payload, everyMs) {
      // Remembered first: a reconnect restores it even when Redis was down for this first call.
      schedules.set(name, { payload, everyMs });
      try {
        await reachable();
        await upsertSchedule(name, { payload, everyMs });
      } catch (error) {
        throw queueUnavailable(error);
      }
    },
    onEvent(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    async stats() {
      await reachable();
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
      return {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        oldestWaitingSeconds: oldest ? (Date.now() - oldest.timestamp) / 1000 : 0,
      };
    },
    async ping() {
      await pingRedis(producerConnection);
    },
    async close() {
      // Not forced: running jobs finish; their locks are released for another worker otherwise.
      await worker?.close();
      await queue.close();
      workerConnection?.disconnect();
      producerConnection.disconnect();
    },
  };
}

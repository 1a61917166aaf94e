import type { Config } from '../../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createBullmqQueue } from './bullmq-queue.ts';
import { createMemoryQueue } from './memory-queue.ts';
import type { JobDefinitions, JobPayloads, Queue } from './queue.ts';

/** BullMQ when Redis is configured, else the in-process queue; job state changes feed `queue_jobs_total`. */
export function createQueue<M extends JobPayloads>(
  config: Config,
  definitions: JobDefinitions<M>,
  deps: { logger: Logger; metrics: Metrics },
): Queue<M> {
  const queueName = config.jobs.queueName;
  const queue = config.redisUrl
    ? createBullmqQueue(definitions, {
        redisUrl: config.redisUrl,
        name: queueName,
        lockMs: config.jobs.lockMs,
        logger: deps.logger,
      })
    : createMemoryQueue(definitions, deps.logger);
  deps.metrics.observeQueue(queueName, () => queue.stats());
  queue.onEvent((event) => {
    if (event.type === 'progress') return;
    const state = event.type === 'completed' ? event.result : event.final ? 'failed' : 'retried';
    deps.metrics.queueJobs.inc({ queue: queueName, state });
  });
  return {
    ...queue,
    async enqueue(name, payload, options) {
      await queue.enqueue(name, payload, options);
      deps.metrics.queueJobs.inc({ queue: queueName, state: 'enqueued' });
    },
  };
}

import { EventEmitter } from 'node:events';
import type { Logger } from '../observability/logger.ts';
import {
  assertJobId,
  retryDelayMs,
  type JobDefinitions,
  type JobEvent,
  type JobPayloads,
  type Queue,
  type QueueStats,
} from './queue.ts';

interface Entry {
  name: string;
  jobId: string;
  payload: unknown;
  attempt: number;
  readyAt: number;
}

const FAILED_KEPT_MS = 24 * 3600 * 1000;

/** The embedded queue: the same contract as BullMQ, in this process's memory. */
export function createMemoryQueue<M extends JobPayloads>(
  definitions: JobDefinitions<M>,
  logger: Logger,
): Queue<M> {
  const events = new EventEmitter();
  const held = new Map<string, Entry>(); // waiting, delayed or active, by job id
  const waiting: Entry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const failed = new Map<string, number>(); // job id → failed at
  const active = new Set<Promise<void>>();
  let concurrency = 0;
  let closed = false;

  const emit = (event: JobEvent): void => {
    events.emit('event', event);
  };

  function later(entry: Entry, delayMs: number) {
    entry.readyAt = Date.now() + delayMs;
    const timer = setTimeout(() => {
      timers.delete(timer);
      waiting.push(entry);
      pump();
    }, delayMs);
    timers.add(timer);
  }

  function pump() {
    while (!closed && active.size < concurrency && waiting.length > 0) {
      const run = execute(waiting.shift()!).finally(() => {
        active.delete(run);
        pump();
      });
      active.add(run);
    }
  }

  async function execute(entry: Entry) {
    const definition = definitions[entry.name]!;
    entry.attempt += 1;
    const context = {
      jobId: entry.jobId,
      attempt: entry.attempt,
      progress: async (progress: number) => {
        emit({ type: 'progress', name: entry.name, jobId: entry.jobId, progress });
      },
    };
    try {
      const result = await definition.handle(entry.payload as never, context);
      held.delete(entry.jobId);
      emit({ type: 'completed', name: entry.name, jobId: entry.jobId, result });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const final = entry.attempt >= (definition.attempts ?? 3);
      emit({ type: 'failed', name: entry.name, jobId: entry.jobId, error: err.message, final });
      if (!final) return later(entry, retryDelayMs(definition, entry.attempt));
      held.delete(entry.jobId);
      failed.set(entry.jobId, Date.now());
      await definition
        .onExhausted?.(entry.payload as never, err)
        .catch((e: unknown) => logger.error({ err: e, jobId: entry.jobId }, 'onExhausted failed'));
    }
  }

  return {
    kind: 'memory',
    async enqueue(name, payload, options) {
      assertJobId(options.jobId);
      if (closed || held.has(options.jobId)) return;
      const entry: Entry = { name, jobId: options.jobId, payload, attempt: 0, readyAt: Date.now() };
      held.set(entry.jobId, entry);
      if (options.delayMs) later(entry, options.delayMs);
      else waiting.push(entry);
      pump();
    },
    work(options) {
      concurrency = options.concurrency;
      pump();
    },
    async schedule(name, payload, everyMs) {
      const tick = () =>
        this.enqueue(name, payload, { jobId: `${name}-${Math.floor(Date.now() / everyMs)}` });
      const timer = setInterval(() => void tick(), everyMs);
      timers.add(timer);
      await tick();
    },
    onEvent(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    async stats(): Promise<QueueStats> {
      const now = Date.now();
      for (const [id, at] of failed) if (now - at > FAILED_KEPT_MS) failed.delete(id);
      const oldest = waiting.reduce((min, e) => Math.min(min, e.readyAt), now);
      return {
        waiting: waiting.length,
        active: active.size,
        delayed: timers.size,
        failed: failed.size,
        oldestWaitingSeconds: (now - oldest) / 1000,
      };
    },
    async ping() {},
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer); // clears intervals too
      timers.clear();
      await Promise.allSettled([...active]);
    },
  };
}

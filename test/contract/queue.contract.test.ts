import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createBullmqQueue } from '../../src/platform/queue/bullmq-queue.ts';
import { createMemoryQueue } from '../../src/platform/queue/memory-queue.ts';
import type {
  JobDefinition,
  JobDefinitions,
  JobEvent,
  JobPayloads,
  JobResult,
  Queue,
} from '../../src/platform/queue/queue.ts';
import { testEnv } from '../harness/env.ts';
import { freePort } from '../harness/servers.ts';

// One suite, two adapters: the in-process queue (embedded) and BullMQ on the harness' Redis (fleet). Each
// BullMQ queue gets a name of its own, so tests never see each other's jobs, schedulers or counts.
const logger = createLogger('silent');

interface Adapter {
  name: 'memory' | 'bullmq';
  create<M extends JobPayloads>(definitions: JobDefinitions<M>): Queue<M>;
}

const adapters: Adapter[] = [
  { name: 'memory', create: (definitions) => opened(createMemoryQueue(definitions, logger)) },
  { name: 'bullmq', create: (definitions) => opened(bullmq(definitions, testEnv().redisUrl())) },
];

const queueName = () => `contract-${randomUUID()}`;

const bullmq = <M extends JobPayloads>(
  definitions: JobDefinitions<M>,
  redisUrl: string,
  name = queueName(),
) => createBullmqQueue(definitions, { redisUrl, name, logger });

// Node arms a timer from the event loop's cached clock, which may lag the wall clock by the time the current
// loop turn has run, so a timer can fire that much earlier than `Date.now()` suggests (measured: 299 ms for a
// 300 ms delay). Lower bounds on waits allow for it.
const TIMER_SLACK_MS = 5;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

/** Registers the queue for closing after the test; closing it twice (a test may close it) closes it once. */
function opened<M extends JobPayloads>(queue: Queue<M>): Queue<M> {
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= queue.close());
  cleanup.push(close);
  return { ...queue, close };
}

/** Every event the queue emits, in order. */
function recorded(queue: Queue<JobPayloads>): JobEvent[] {
  const events: JobEvent[] = [];
  queue.onEvent((event) => events.push(event));
  return events;
}

/** A promise the test releases: handlers wait on it to stay active. */
function gate() {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { passed: promise, open: () => resolve() };
}

/** Milliseconds until `check` holds; fails after `deadlineMs`. */
async function until(check: () => boolean | Promise<boolean>, deadlineMs = 2000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > deadlineMs) throw new Error(`not within ${deadlineMs} ms`);
    await sleep(5);
  }
  return Math.round(performance.now() - started);
}

/** How `promise` settled within `deadlineMs` ('pending' if it had not, e.g. close() waiting), and when. */
async function settle(promise: Promise<unknown>, deadlineMs = 2000) {
  const started = performance.now();
  const outcome = await Promise.race([
    promise.then(
      () => ({ state: 'resolved' as const, error: undefined }),
      (error: unknown) => ({ state: 'rejected' as const, error }),
    ),
    sleep(deadlineMs, { state: 'pending' as const, error: undefined }),
  ]);
  return { ...outcome, ms: Math.round(performance.now() - started) };
}

const idle = async (queue: Queue<JobPayloads>) => {
  const stats = await queue.stats();
  return stats.waiting + stats.active + stats.delayed === 0;
};

interface Run<P> {
  payload: P;
  jobId: string;
  attempt: number;
  at: number;
}

/** A definition that records each run and otherwise does what `body` says. */
function job<P>(
  body: (payload: P, run: Run<P>) => Promise<JobResult> = async () => 'done',
  options: Omit<JobDefinition<P>, 'handle'> = {},
) {
  const runs: Run<P>[] = [];
  const definition: JobDefinition<P> = {
    ...options,
    async handle(payload, context) {
      const run = { payload, jobId: context.jobId, attempt: context.attempt, at: Date.now() };
      runs.push(run);
      return body(payload, run);
    },
  };
  return { runs, definition };
}

describe.each(adapters)('queue contract: $name', ({ name: kind, create }) => {
  it("runs a job with its payload on attempt 1 and reports the handler's result", async () => {
    const ingest = job<{ documentId: string; stale: boolean }>(async ({ stale }) =>
      stale ? 'skipped' : 'done',
    );
    const queue = create({ 'document.ingest': ingest.definition });
    const events = recorded(queue);
    queue.work({ concurrency: 1 });

    await queue.enqueue('document.ingest', { documentId: 'd1', stale: false }, { jobId: 'ingest-d1-1' });
    await queue.enqueue('document.ingest', { documentId: 'd2', stale: true }, { jobId: 'ingest-d2-1' });
    await until(() => events.length === 2);

    expect(ingest.runs.map(({ payload, jobId, attempt }) => ({ payload, jobId, attempt }))).toEqual([
      { payload: { documentId: 'd1', stale: false }, jobId: 'ingest-d1-1', attempt: 1 },
      { payload: { documentId: 'd2', stale: true }, jobId: 'ingest-d2-1', attempt: 1 },
    ]);
    expect(events).toEqual([
      { type: 'completed', name: 'document.ingest', jobId: 'ingest-d1-1', result: 'done' },
      { type: 'completed', name: 'document.ingest', jobId: 'ingest-d2-1', result: 'skipped' },
    ]);
  });

  it('runs an id once however often it is enqueued while waiting or active', async () => {
    const release = gate();
    const embed = job<{ n: number }>(async () => {
      await release.passed;
      return 'done';
    });
    const queue = create({ 'document.embed': embed.definition });
    const events = recorded(queue);
    const enqueue = (n: number) => queue.enqueue('document.embed', { n }, { jobId: 'embed-d1-1' });

    await Promise.all([1, 2, 3, 4, 5].map(enqueue)); // waiting: no worker yet
    expect(await queue.stats()).toMatchObject({ waiting: 1, active: 0 });
    queue.work({ concurrency: 3 });
    await until(() => embed.runs.length === 1);
    await Promise.all([6, 7, 8, 9, 10].map(enqueue)); // active
    expect(await queue.stats()).toMatchObject({ waiting: 0, active: 1, delayed: 0 });
    release.open();
    await until(() => idle(queue));

    expect(embed.runs.map((run) => run.payload)).toEqual([{ n: 1 }]);
    expect(events).toEqual([
      { type: 'completed', name: 'document.embed', jobId: 'embed-d1-1', result: 'done' },
    ]);
  });

  it('runs the same id again once the previous run completed', async () => {
    const summarize = job<{ n: number }>();
    const queue = create({ 'document.summarize': summarize.definition });
    const events = recorded(queue);
    queue.work({ concurrency: 1 });

    await queue.enqueue('document.summarize', { n: 1 }, { jobId: 'summarize-d1-1' });
    await until(() => events.length === 1);
    await queue.enqueue('document.summarize', { n: 2 }, { jobId: 'summarize-d1-1' });
    await until(() => events.length === 2);

    expect(summarize.runs.map(({ payload, attempt }) => ({ payload, attempt }))).toEqual([
      { payload: { n: 1 }, attempt: 1 },
      { payload: { n: 2 }, attempt: 1 },
    ]);
    expect(events.map((event) => event.type)).toEqual(['completed', 'completed']);
  });

  it('retries a failing handler with growing backoff until it succeeds', async () => {
    const backoffMs = 50;
    const exhausted: unknown[] = [];
    const flaky = job<{ documentId: string }>(
      async (_payload, { attempt }) => {
        if (attempt < 3) throw new Error(`extract failed on attempt ${attempt}`);
        return 'done';
      },
      { attempts: 3, backoffMs, onExhausted: async (payload) => void exhausted.push(payload) },
    );
    const queue = create({ 'document.extract': flaky.definition });
    const events = recorded(queue);
    queue.work({ concurrency: 1 });

    await queue.enqueue('document.extract', { documentId: 'd1' }, { jobId: 'extract-d1-1' });
    await until(() => events.some((event) => event.type === 'completed'));

    expect(flaky.runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(events).toEqual([
      {
        type: 'failed',
        name: 'document.extract',
        jobId: 'extract-d1-1',
        error: 'extract failed on attempt 1',
        final: false,
      },
      {
        type: 'failed',
        name: 'document.extract',
        jobId: 'extract-d1-1',
        error: 'extract failed on attempt 2',
        final: false,
      },
      { type: 'completed', name: 'document.extract', jobId: 'extract-d1-1', result: 'done' },
    ]);
    const [first, second, third] = flaky.runs.map((run) => run.at) as [number, number, number];
    console.info(`${kind} retry gaps: ${second - first} ms, ${third - second} ms (backoff ${backoffMs} ms)`);
    expect(second - first).toBeGreaterThanOrEqual(backoffMs - TIMER_SLACK_MS);
    expect(third - second).toBeGreaterThanOrEqual(2 * backoffMs - TIMER_SLACK_MS);
    expect(exhausted).toEqual([]);
    expect((await queue.stats()).failed).toBe(0);
  });

  it('gives up after `attempts`, calls onExhausted once and counts the job as failed', async () => {
    const exhausted: { payload: unknown; error: unknown }[] = [];
    const broken = job<{ documentId: string }>(
      async () => {
        throw new Error('unreadable PDF');
      },
      {
        attempts: 2,
        backoffMs: 20,
        onExhausted: async (payload, error) => void exhausted.push({ payload, error }),
      },
    );
    const queue = create({ 'document.extract': broken.definition });
    const events = recorded(queue);
    queue.work({ concurrency: 1 });

    await queue.enqueue('document.extract', { documentId: 'd9' }, { jobId: 'extract-d9-1' });
    await until(async () => exhausted.length > 0 && (await queue.stats()).failed === 1);
    await until(() => idle(queue));

    expect(broken.runs.map((run) => run.attempt)).toEqual([1, 2]);
    const failed = {
      type: 'failed',
      name: 'document.extract',
      jobId: 'extract-d9-1',
      error: 'unreadable PDF',
    };
    expect(events).toEqual([
      { ...failed, final: false },
      { ...failed, final: true },
    ]);
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]?.payload).toEqual({ documentId: 'd9' });
    expect(exhausted[0]?.error).toBeInstanceOf(Error);
    expect((exhausted[0]?.error as Error).message).toBe('unreadable PDF');
    expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 1 });
  });

  it('runs at most `concurrency` jobs at once', async () => {
    const release = gate();
    let running = 0;
    let peak = 0;
    const embed = job<{ n: number }>(async () => {
      peak = Math.max(peak, ++running);
      await release.passed;
      running--;
      return 'done';
    });
    const queue = create({ 'document.embed': embed.definition });
    const events = recorded(queue);
    for (const n of [1, 2, 3, 4, 5]) await queue.enqueue('document.embed', { n }, { jobId: `embed-d${n}-1` });
    queue.work({ concurrency: 2 });

    await until(() => running === 2);
    expect(await queue.stats()).toMatchObject({ waiting: 3, active: 2 });
    expect(embed.runs).toHaveLength(2);
    release.open();
    await until(() => events.length === 5);

    expect(peak).toBe(2);
    expect(embed.runs.map((run) => run.payload.n).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(events.every((event) => event.type === 'completed')).toBe(true);
  });

  it('reports progress as events', async () => {
    const embed: JobDefinition<{ documentId: string }> = {
      async handle(_payload, context) {
        await context.progress(25);
        await context.progress(100);
        return 'done';
      },
    };
    const queue = create({ 'document.embed': embed });
    const events = recorded(queue);
    queue.work({ concurrency: 1 });

    await queue.enqueue('document.embed', { documentId: 'd1' }, { jobId: 'embed-d1-1' });
    await until(() => events.some((event) => event.type === 'completed'));

    expect(events).toEqual([
      { type: 'progress', name: 'document.embed', jobId: 'embed-d1-1', progress: 25 },
      { type: 'progress', name: 'document.embed', jobId: 'embed-d1-1', progress: 100 },
      { type: 'completed', name: 'document.embed', jobId: 'embed-d1-1', result: 'done' },
    ]);
  });

  it('holds a delayed job back for delayMs', async () => {
    const delayMs = 300;
    const sweep = job<{ n: number }>();
    const queue = create({ 'documents.sweep': sweep.definition });
    queue.work({ concurrency: 1 });

    const enqueuedAt = Date.now();
    await queue.enqueue('documents.sweep', { n: 1 }, { jobId: 'sweep-1', delayMs });
    expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 1 });
    await until(() => sweep.runs.length === 1);

    const waitedMs = sweep.runs[0]!.at - enqueuedAt;
    console.info(`${kind} delayed job ran after ${waitedMs} ms (delay ${delayMs} ms)`);
    expect(waitedMs).toBeGreaterThanOrEqual(delayMs - TIMER_SLACK_MS);
  });

  it('rejects job ids BullMQ cannot hold (":" or spaces), queueing nothing', async () => {
    const ingest = job<{ n: number }>();
    const queue = create({ 'document.ingest': ingest.definition });
    for (const jobId of ['ingest:d1:1', 'ingest d1 1', '']) {
      await expect(queue.enqueue('document.ingest', { n: 1 }, { jobId })).rejects.toThrow(/Invalid job id/);
    }
    expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });

  it('close() waits for the running job to finish and starts no other', async () => {
    const release = gate();
    const started: string[] = [];
    const finished: string[] = [];
    const ingest: JobDefinition<{ n: number }> = {
      async handle(_payload, { jobId }) {
        started.push(jobId);
        await release.passed;
        finished.push(jobId);
        return 'done';
      },
    };
    const queue = create({ 'document.ingest': ingest });
    const events = recorded(queue);
    await queue.enqueue('document.ingest', { n: 1 }, { jobId: 'ingest-d1-1' });
    await queue.enqueue('document.ingest', { n: 2 }, { jobId: 'ingest-d2-1' });
    queue.work({ concurrency: 1 });
    await until(() => started.length === 1);

    const closing = queue.close();
    expect((await settle(closing, 200)).state).toBe('pending'); // the job is still running
    release.open();
    await closing;

    expect(finished).toEqual(['ingest-d1-1']);
    expect(started).toEqual(['ingest-d1-1']);
    expect(events).toEqual([
      { type: 'completed', name: 'document.ingest', jobId: 'ingest-d1-1', result: 'done' },
    ]);
  });

  it('schedule() runs a job every everyMs', async () => {
    const everyMs = 200;
    const prune = job<{ olderThanDays: number }>();
    const queue = create({ 'outbox.prune': prune.definition });
    queue.work({ concurrency: 1 });

    const startedAt = Date.now();
    await queue.schedule('outbox.prune', { olderThanDays: 7 }, everyMs);
    if (kind === 'memory') expect(prune.runs).toHaveLength(1); // the in-process queue runs it at once
    const firstMs = await until(() => prune.runs.length >= 1, everyMs + 1500);
    await until(() => prune.runs.length >= 2, 2 * everyMs + 1500);

    console.info(
      `${kind} schedule: first run after ${firstMs} ms, second after ${Date.now() - startedAt} ms`,
    );
    expect(prune.runs[0]?.payload).toEqual({ olderThanDays: 7 });
  });

  it('stats() counts waiting jobs and how long the oldest has waited', async () => {
    const ingest = job<{ n: number }>();
    const queue = create({ 'document.ingest': ingest.definition });
    expect(await queue.stats()).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      failed: 0,
      oldestWaitingSeconds: 0,
    });

    await queue.enqueue('document.ingest', { n: 1 }, { jobId: 'ingest-d1-1' });
    await queue.enqueue('document.ingest', { n: 2 }, { jobId: 'ingest-d2-1' });
    await until(async () => (await queue.stats()).oldestWaitingSeconds > 0);

    const stats = await queue.stats();
    expect(stats).toEqual({
      waiting: 2,
      active: 0,
      delayed: 0,
      failed: 0,
      oldestWaitingSeconds: expect.any(Number) as number,
    });
    expect(stats.oldestWaitingSeconds).toBeGreaterThan(0);
    expect(stats.oldestWaitingSeconds).toBeLessThan(5);
    expect(ingest.runs).toEqual([]);
  });
});

describe('queue contract: bullmq in a fleet', () => {
  it('fails fast when Redis is unreachable: enqueue rejects with QUEUE_UNAVAILABLE, ping and stats reject', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const ingest = job<{ n: number }>();
      const unreachable = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
      const queue = opened(bullmq({ 'document.ingest': ingest.definition }, unreachable));

      const enqueued = await settle(queue.enqueue('document.ingest', { n: 1 }, { jobId: 'ingest-d1-1' }));
      const pinged = await settle(queue.ping());
      const counted = await settle(queue.stats()); // /metrics and the admin page read it; they must not hang
      console.info(
        `bullmq with Redis unreachable: enqueue ${enqueued.state} after ${enqueued.ms} ms, ` +
          `ping ${pinged.state} after ${pinged.ms} ms, stats ${counted.state} after ${counted.ms} ms`,
      );
      expect.soft(enqueued.state).toBe('rejected');
      expect.soft(enqueued.error).toBeInstanceOf(AppError);
      expect.soft(enqueued.error).toMatchObject({ code: 'QUEUE_UNAVAILABLE', status: 503 });
      expect.soft(pinged.state).toBe('rejected');
      expect.soft(counted.state).toBe('rejected');
      await queue.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it("runs a producer's job on another instance's worker (same Redis, same queue name)", async () => {
    const name = queueName();
    const onProducer = job<{ documentId: string }>();
    const onWorker = job<{ documentId: string }>();
    const producer = opened(bullmq({ 'document.ingest': onProducer.definition }, testEnv().redisUrl(), name));
    const worker = opened(bullmq({ 'document.ingest': onWorker.definition }, testEnv().redisUrl(), name));
    const producerEvents = recorded(producer);
    const workerEvents = recorded(worker);
    worker.work({ concurrency: 1 });

    await producer.enqueue('document.ingest', { documentId: 'd1' }, { jobId: 'ingest-d1-1' });
    await until(() => workerEvents.length === 1);

    expect(onWorker.runs.map(({ payload, attempt }) => ({ payload, attempt }))).toEqual([
      { payload: { documentId: 'd1' }, attempt: 1 },
    ]);
    expect(onProducer.runs).toEqual([]);
    expect(workerEvents).toEqual([
      { type: 'completed', name: 'document.ingest', jobId: 'ingest-d1-1', result: 'done' },
    ]);
    expect(producerEvents).toEqual([]);
    expect(await producer.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });
});

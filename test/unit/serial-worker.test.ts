import { afterEach, describe, expect, it } from 'vitest';
import { createSerialWorker, type SerialWorker } from '../../src/platform/worker-threads/serial-worker.ts';
import type { FixtureRequest, FixtureResponse } from '../fixtures/serial.worker.ts';

const opened: SerialWorker<FixtureRequest, FixtureResponse>[] = [];
afterEach(() => Promise.all(opened.splice(0).map((worker) => worker.close())));

function fixture(timeoutMs = 10_000) {
  const worker = createSerialWorker<FixtureRequest, FixtureResponse>({
    url: new URL('../fixtures/serial.worker.ts', import.meta.url),
    name: 'Fixture worker',
    timeoutMs,
    timeoutError: (request) => new Error(`${request.op} timed out`),
    toError: (failure) => new Error(`failed: ${failure.message}`),
    closedError: () => new Error('Fixture worker is closed'),
  });
  opened.push(worker);
  return worker;
}

/** Lets the calls made so far reach the worker (they are sent from promise callbacks). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('serial worker', () => {
  it('answers calls one at a time, in arrival order', async () => {
    const worker = fixture();
    const settled: unknown[] = [];
    const calls = [
      worker.call({ op: 'wait', ms: 100, value: 'first' }),
      worker.call({ op: 'echo', value: 'second' }),
      worker.call({ op: 'wait', ms: 10, value: 'third' }),
    ].map((call) => call.then((value) => settled.push(value)));
    await Promise.all(calls);
    expect(settled).toEqual(['first', 'second', 'third']);
  });

  it('rejects a failure through toError() and keeps the worker', async () => {
    const worker = fixture();
    const thread = await worker.call({ op: 'thread' });
    await expect(worker.call({ op: 'fail', message: 'bad input' })).rejects.toThrow('failed: bad input');
    expect(await worker.call({ op: 'thread' })).toBe(thread);
  });

  it('moves the buffers it is told to transfer, and rejects a request that cannot be cloned', async () => {
    const worker = fixture();
    const bytes = new Uint8Array(1024);
    expect(await worker.call({ op: 'byteLength', bytes }, [bytes.buffer])).toBe(1024);
    expect(bytes.byteLength).toBe(0);

    const thread = await worker.call({ op: 'thread' });
    await expect(worker.call({ op: 'echo', value: () => 1 })).rejects.toMatchObject({
      name: 'DataCloneError',
    });
    expect(await worker.call({ op: 'thread' })).toBe(thread);
  });
});

describe('serial worker lifecycle', () => {
  it('times out a call with timeoutError(), and serves the queued call from a fresh worker', async () => {
    const worker = fixture(200);
    const first = await worker.call({ op: 'thread' });
    const late = worker.call({ op: 'wait', ms: 10_000, value: 'late' });
    const queued = worker.call({ op: 'thread' });
    await expect(late).rejects.toThrow('wait timed out');
    expect(await queued).not.toBe(first);
  });

  it('does not count start-up in the timeout', async () => {
    process.env.SERIAL_FIXTURE_START_MS = '500';
    try {
      const worker = fixture(200);
      expect(await worker.call({ op: 'echo', value: 'ok' })).toBe('ok');
    } finally {
      delete process.env.SERIAL_FIXTURE_START_MS;
    }
  });

  it('rejects the call whose worker crashes or exits, and starts a fresh worker for the next', async () => {
    const worker = fixture();
    const first = await worker.call({ op: 'thread' });
    await expect(worker.call({ op: 'crash' })).rejects.toThrow('worker crashed');
    const second = await worker.call({ op: 'thread' });
    expect(second).not.toBe(first);

    await expect(worker.call({ op: 'exit', code: 3 })).rejects.toThrow('Fixture worker exited with code 3');
    expect(await worker.call({ op: 'thread' })).not.toBe(second);
  });

  it('rejects the call in flight, the queued ones and every later call with closedError()', async () => {
    const worker = fixture();
    await worker.call({ op: 'echo', value: 'started' });
    const inFlight = worker.call({ op: 'wait', ms: 10_000, value: 'never' });
    const queued = worker.call({ op: 'echo', value: 'never' });
    await nextTurn();
    await worker.close();
    await expect(inFlight).rejects.toThrow('Fixture worker is closed');
    await expect(queued).rejects.toThrow('Fixture worker is closed');
    await expect(worker.call({ op: 'echo', value: 'late' })).rejects.toThrow('Fixture worker is closed');
  });

  it('rejects a call whose worker is still starting when close() comes', async () => {
    const worker = fixture();
    const starting = worker.call({ op: 'echo', value: 'never' });
    await nextTurn();
    await worker.close();
    await expect(starting).rejects.toThrow('Fixture worker is closed');
  });
});

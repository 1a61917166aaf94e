import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createReconciler } from '../../src/platform/queue/reconciler.ts';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reconciler', () => {
  it('sweeps at start and then on every interval, logging what it revived', async () => {
    vi.useFakeTimers();
    const { logger, lines } = capturedLogger();
    const reconciler = createReconciler({ intervalMs: 60_000, logger });
    const revived = [2, 0, 1];
    const sweep = vi.fn(async () => revived.shift() ?? 0);
    reconciler.register('documents', sweep);
    reconciler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sweep).toHaveBeenCalledTimes(3);
    await reconciler.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sweep).toHaveBeenCalledTimes(3);
    expect(lines.filter((l) => l.msg === 're-enqueued stalled work').map((l) => l.revived)).toEqual([2, 1]);
  });

  it('keeps sweeping after a sweep fails, and never runs two rounds at once', async () => {
    const { logger, lines } = capturedLogger();
    const reconciler = createReconciler({ intervalMs: 60_000, logger });
    let release!: () => void;
    const gate = new Promise<number>((resolve) => (release = () => resolve(0)));
    const slow = vi.fn(() => gate);
    const failing = vi.fn(() => Promise.reject(new Error('database down')));
    reconciler.register('slow', slow);
    reconciler.register('failing', failing);
    const first = reconciler.runOnce();
    const overlapping = reconciler.runOnce();
    expect(overlapping).toBe(first);
    release();
    await first;
    expect(slow).toHaveBeenCalledTimes(1);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(
      lines.some((l) => l.msg === 'reconcile sweep failed; will try again' && l.sweep === 'failing'),
    ).toBe(true);
    await reconciler.runOnce();
    expect(failing).toHaveBeenCalledTimes(2);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionLock } from '../../src/platform/db/connection-lock.ts';
import { newRequestContext, requestContext } from '../../src/platform/observability/request-context.ts';

// PGlite's single session: requests go ahead of queued background work, which still gets its turn.
afterEach(() => {
  vi.useRealTimers();
});

const inRequest = <T>(work: () => T) => requestContext.run(newRequestContext('r'), work);

async function order(lock: ConnectionLock, waiters: { name: string; request: boolean }[]) {
  const granted: string[] = [];
  const all = waiters.map(({ name, request }) => {
    const acquired = request ? inRequest(() => lock.acquire()) : lock.acquire();
    return acquired.then(() => {
      granted.push(name);
      lock.release();
    });
  });
  return { granted, all: Promise.all(all) };
}

describe('ConnectionLock', () => {
  it('grants a waiting request before background work queued earlier', async () => {
    const lock = new ConnectionLock(5000, () => {});
    await lock.acquire(); // a job's statement holds the session
    const { granted, all } = await order(lock, [
      { name: 'job-1', request: false },
      { name: 'job-2', request: false },
      { name: 'request', request: true },
    ]);
    lock.release();
    await all;
    expect(granted).toEqual(['request', 'job-1', 'job-2']);
  });

  it('lets background work go first once it has waited too long', async () => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] });
    const lock = new ConnectionLock(5000, () => {});
    await lock.acquire();
    const { granted, all } = await order(lock, [
      { name: 'job', request: false },
      { name: 'request', request: true },
    ]);
    vi.advanceTimersByTime(300);
    lock.release();
    await all;
    expect(granted).toEqual(['job', 'request']);
  });

  it('keeps requests in arrival order among themselves', async () => {
    const lock = new ConnectionLock(5000, () => {});
    await lock.acquire();
    const { granted, all } = await order(lock, [
      { name: 'a', request: true },
      { name: 'job', request: false },
      { name: 'b', request: true },
    ]);
    lock.release();
    await all;
    expect(granted).toEqual(['a', 'b', 'job']);
  });
});

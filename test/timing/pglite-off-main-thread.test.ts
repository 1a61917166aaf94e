import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Several seconds of SQL on the embedded engine. md5 over generate_series keeps PGlite busy without I/O.
const HEAVY = 'select sum(length(md5(i::text))) as n from generate_series(1, 4000000) i';

/** Runs `work` while timing a probe request every 10 ms: how long the API takes to answer meanwhile. */
async function probeWhile(work: () => Promise<unknown>, probe: () => Promise<unknown>) {
  const latencies: number[] = [];
  let done = false;
  const started = performance.now();
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      await probe();
      latencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  await work();
  const workMs = performance.now() - started;
  done = true;
  await probing;
  return { workMs, probes: latencies.length, maxProbeMs: Math.max(...latencies) };
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('the embedded database runs off the main thread', () => {
  it('keeps the API answering while PGlite works for seconds', async () => {
    const result = await probeWhile(
      () => sql.raw(HEAVY).execute(t.deps.database.db),
      () => t.app.inject({ method: 'GET', url: '/health' }),
    );
    console.log('PGlite in a worker thread:', result);
    expect(t.deps.database.engine).toBe('pglite');
    expect(result.workMs).toBeGreaterThan(1500); // the heavy work really ran
    expect(result.probes).toBeGreaterThan(result.workMs / 10 / 4);
    expect(result.maxProbeMs).toBeLessThan(250);
  });

  it('(reference) the same work on PGlite in the main thread freezes the event loop', async () => {
    const inline = new PGlite();
    try {
      await inline.waitReady;
      const result = await probeWhile(
        () => inline.query(HEAVY),
        () => t.app.inject({ method: 'GET', url: '/health' }),
      );
      console.log('PGlite in the main thread:', result);
      expect(result.workMs).toBeGreaterThan(1500);
      expect(result.maxProbeMs).toBeGreaterThan(1000);
    } finally {
      await inline.close();
    }
  });
});

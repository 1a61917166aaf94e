// Cache invalidation across two fleet `serve` processes while Redis fails (DESIGN §8): the bus message that tells
// the other process to drop its memory copy is "lost if Redis is down at that moment", so the `user` namespace,
// which decides whether an access token is still honoured, keeps at most 5 s in memory. These tests delete an
// account on serve A while Redis is dead, and while it is frozen, and measure how long serve B (and A itself)
// still accept the deleted user's access token.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  pollUntil,
  request,
  startServe,
  uniqueEmail,
  type ServeProcess,
  type Session,
} from '../e2e/serve-process.ts';
import {
  fleetEnv,
  startFaultPostgres,
  startRestartableRedis,
  tempDataDir,
  type FaultPostgres,
  type RestartableRedis,
} from './backends.ts';

/** The longest an access-guarding cache entry lives in a process's memory in fleet mode (DESIGN §8). */
const GUARDED_L1_TTL_MS = 5_000;
/** How long a test watches for the deleted user to be refused before calling it stale. */
const WATCH_MS = GUARDED_L1_TTL_MS + 5_000;

let postgres: FaultPostgres | undefined;
let redis: RestartableRedis | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let a: ServeProcess;
let b: ServeProcess;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRestartableRedis()]);
  data = await tempDataDir();
  const env = {
    ...fleetEnv(postgres, redis, data.dir),
  };
  a = await startServe(env); // migrates
  b = await startServe(env);
}, 120_000);

afterAll(async () => {
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove()]);
});

async function userCacheHits(serve: ServeProcess): Promise<number> {
  const metrics = await request(`${serve.url}/metrics`);
  const line = /^cache_requests_total\{[^}]*namespace="user"[^}]*result="hit"[^}]*\} (\d+)/m.exec(
    metrics.body,
  );
  return Number(line?.[1] ?? 0);
}

/** A new account whose user entry both serves hold: in their memory tiers and in Redis. */
async function cachedEverywhere(): Promise<{ session: Session; auth: Record<string, string> }> {
  const res = await request(`${a.url}/api/v1/auth/register`, {
    body: { email: uniqueEmail('cache-outage'), password: 'correct horse battery staple' },
  });
  expect(res.status).toBe(201);
  const session = res.json as Session;
  const auth = { authorization: `Bearer ${session.tokens.accessToken}` };
  for (const serve of [a, b]) {
    const hits = await userCacheHits(serve);
    for (let i = 0; i < 2; i++)
      expect((await request(`${serve.url}/api/v1/me`, { headers: auth })).status).toBe(200);
    expect(await userCacheHits(serve)).toBeGreaterThan(hits);
  }
  return { session, auth };
}

/** ms until `serve` refuses the token (401), or undefined if it still accepts it after WATCH_MS. */
async function refusedAfter(serve: ServeProcess, auth: Record<string, string>, since: number) {
  const deadline = since + WATCH_MS;
  while (performance.now() < deadline) {
    const res = await request(`${serve.url}/api/v1/me`, { headers: auth, timeoutMs: 5_000 });
    if (res.status === 401) return performance.now() - since;
    expect(res.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

const bothReady = () =>
  Promise.all(
    [a, b].map((serve) =>
      pollUntil(
        'readiness 200',
        async () => ((await request(`${serve.url}/health/ready`)).status === 200 ? true : undefined),
        30_000,
        50,
      ),
    ),
  );

it('Redis dead: an account deleted on A is refused on B within the guarded memory TTL', async () => {
  const { auth } = await cachedEverywhere();
  await redis!.kill();
  try {
    const started = performance.now();
    const deleted = await request(`${a.url}/api/v1/me`, { method: 'DELETE', headers: auth });
    const deleteMs = performance.now() - started;
    expect(deleted.status).toBe(204);
    const since = performance.now();
    const [onA, onB] = await Promise.all([refusedAfter(a, auth, since), refusedAfter(b, auth, since)]);
    console.log(
      `cache-outage (Redis dead): DELETE /me ${deleteMs.toFixed(0)} ms; deleted user refused on A after ` +
        `${onA?.toFixed(0) ?? `> ${WATCH_MS}`} ms, on B after ${onB?.toFixed(0) ?? `> ${WATCH_MS}`} ms`,
    );
    expect(onA).toBeDefined();
    expect(onB).toBeDefined();
    expect(onB!).toBeLessThan(GUARDED_L1_TTL_MS + 1_000);
  } finally {
    await redis!.restart();
    await bothReady();
  }
});

it('Redis frozen during the delete, then resumed: the deleted account is refused within the guarded TTL', async () => {
  const { auth } = await cachedEverywhere();
  redis!.freeze();
  let deleteMs: number;
  try {
    const started = performance.now();
    const deleted = await request(`${a.url}/api/v1/me`, {
      method: 'DELETE',
      headers: auth,
      timeoutMs: 15_000,
    });
    deleteMs = performance.now() - started;
    expect(deleted.status).toBe(204);
  } finally {
    redis!.thaw();
  }
  const since = performance.now();
  const [onA, onB] = await Promise.all([refusedAfter(a, auth, since), refusedAfter(b, auth, since)]);
  console.log(
    `cache-outage (Redis frozen during DELETE): DELETE /me ${deleteMs.toFixed(0)} ms; deleted user refused ` +
      `on A after ${onA?.toFixed(0) ?? `> ${WATCH_MS}`} ms, on B after ${onB?.toFixed(0) ?? `> ${WATCH_MS}`} ms`,
  );
  await bothReady();
  expect({ onA: onA !== undefined, onB: onB !== undefined }).toEqual({ onA: true, onB: true });
  expect(onB!).toBeLessThan(GUARDED_L1_TTL_MS + 1_000);
});

it('Redis frozen, its cache connection already given up, during the delete: the account stays refused', async () => {
  const { auth } = await cachedEverywhere();
  // A second account, resolved on A while Redis is frozen: its lookup misses A's memory, waits for Redis and
  // drops the cache connection (socketTimeout 300 ms), which then reconnects to a Redis that never answers —
  // so the delete below fails fast on that connection instead of being queued in the frozen server's socket.
  const other = await request(`${a.url}/api/v1/auth/register`, {
    body: { email: uniqueEmail('cache-outage-other'), password: 'correct horse battery staple' },
  });
  expect(other.status).toBe(201);
  const otherAuth = { authorization: `Bearer ${(other.json as Session).tokens.accessToken}` };
  redis!.freeze();
  let deleteMs: number;
  try {
    expect((await request(`${a.url}/api/v1/me`, { headers: otherAuth, timeoutMs: 15_000 })).status).toBe(200);
    const started = performance.now();
    const deleted = await request(`${a.url}/api/v1/me`, {
      method: 'DELETE',
      headers: auth,
      timeoutMs: 15_000,
    });
    deleteMs = performance.now() - started;
    expect(deleted.status).toBe(204);
  } finally {
    redis!.thaw();
  }
  const since = performance.now();
  const [onA, onB] = await Promise.all([refusedAfter(a, auth, since), refusedAfter(b, auth, since)]);
  await bothReady();
  // Past the guarded memory TTL with Redis healthy again: what each process answers now comes from Redis or SQL.
  await new Promise((resolve) => setTimeout(resolve, GUARDED_L1_TTL_MS + 1_000));
  const later = await Promise.all(
    [a, b].map((serve) => request(`${serve.url}/api/v1/me`, { headers: auth })),
  );
  const write = await request(`${b.url}/api/v1/me/tokens`, {
    headers: auth,
    body: { name: 'after deletion' },
  });
  const figures = {
    deleteMs: Math.round(deleteMs),
    refusedOnAMs: onA === undefined ? `> ${WATCH_MS}` : Math.round(onA),
    refusedOnBMs: onB === undefined ? `> ${WATCH_MS}` : Math.round(onB),
    laterOnA: later[0]!.status,
    laterOnB: later[1]!.status,
    writeOnB: `${write.status} ${(write.json as { code?: string }).code ?? ''}`.trim(),
  };
  console.log(
    `cache-outage (Redis frozen, cache connection down, during DELETE): ${JSON.stringify(figures)}`,
  );

  expect(figures).toEqual({
    deleteMs: figures.deleteMs,
    refusedOnAMs: expect.any(Number),
    refusedOnBMs: expect.any(Number),
    laterOnA: 401,
    laterOnB: 401,
    writeOnB: '401 AUTH_UNAUTHENTICATED',
  });
  expect(onB!).toBeLessThan(GUARDED_L1_TTL_MS + 1_000);
});

// Redis dies under a fleet `serve` process and comes back on the same port (DESIGN §2, §6, §8): the API keeps
// answering from PostgreSQL and the in-memory insurance limiters — never a 500 — readiness says 503 and names
// redis while it is gone, and the process recovers by itself once Redis answers again.
import { afterAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  login,
  pollUntil,
  register,
  request,
  startServe,
  uniqueEmail,
  type HttpResult,
} from '../e2e/serve-process.ts';
import {
  fleetEnv,
  rawRedisPing,
  startFaultPostgres,
  startRestartableRedis,
  tempDataDir,
  type FaultPostgres,
  type RestartableRedis,
} from './backends.ts';
import { report, startTraffic, within, type Request, type Sample } from './traffic.ts';

let postgres: FaultPostgres | undefined;
let redis: RestartableRedis | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;

afterAll(async () => {
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove()]);
});

const PROBLEM = 'application/problem+json';

it('answers through a Redis outage without a 500 and recovers on its own when Redis is back', async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRestartableRedis()]);
  data = await tempDataDir();
  const serve = await startServe({
    ...fleetEnv(postgres, redis, data.dir),
    // The limiters run on every API request (Redis, then their memory insurance) but never refuse here, so
    // each route has one normal answer to assert in every phase.
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    ADMIN_EMAILS: 'ops@example.com',
  });
  const admin = await register(serve.url, 'ops@example.com', 'correct horse battery staple');
  const adminAuth = { authorization: `Bearer ${admin.tokens.accessToken}` };
  const email = uniqueEmail('redis-outage');
  const password = 'correct horse battery staple';
  const session = await register(serve.url, email, password);
  const auth = { authorization: `Bearer ${session.tokens.accessToken}` };

  const get = (path: string, headers: Record<string, string> = {}): Promise<HttpResult> =>
    request(`${serve.url}${path}`, { headers, timeoutMs: 10_000 });
  const mix: (() => Request)[] = [
    () => ({ route: 'GET /api/v1/me', send: () => get('/api/v1/me', auth) }),
    () => ({
      route: 'POST /auth/login (wrong)',
      // A new address each time: no account reaches the lockout; the failure limiter still counts.
      send: () => login(serve.url, uniqueEmail('nobody'), 'not the password'),
    }),
    () => ({ route: 'GET /health/ready', send: () => get('/health/ready') }),
    () => ({
      route: 'POST /admin/maintenance/prune',
      // Enqueues a job on BullMQ: the one route here that cannot work without Redis.
      send: () =>
        request(`${serve.url}/api/v1/admin/maintenance/prune`, {
          method: 'POST',
          headers: adminAuth,
          timeoutMs: 10_000,
        }),
    }),
    () => ({ route: 'POST /auth/login (right)', send: () => login(serve.url, email, password) }),
  ];
  const traffic = startTraffic({
    concurrency: 3,
    maxRequests: 4000,
    maxMs: 150_000,
    next: (worker, i) => mix[(worker + i) % mix.length]!(),
  });

  let killMs: number;
  let restartMs: number;
  let recoveryMs: number;
  try {
    await traffic.waitForSamples('before', 60, 30_000);

    // Requests sent while the kill is under way may see Redis either way: their own phase, asserted loosely.
    traffic.setPhase('kill');
    let started = performance.now();
    await redis.kill();
    killMs = performance.now() - started;
    await expect(rawRedisPing(redis.port)).rejects.toThrow();
    traffic.setPhase('outage');
    await traffic.waitForSamples('outage', 120, 90_000);

    traffic.setPhase('recovery');
    started = performance.now();
    await redis.restart();
    restartMs = performance.now() - started;
    await pollUntil(
      'readiness 200 after the restart',
      async () => ((await get('/health/ready')).status === 200 ? true : undefined),
      30_000,
      20,
    );
    recoveryMs = performance.now() - started;

    traffic.setPhase('after');
    await traffic.waitForSamples('after', 60, 30_000);
  } finally {
    await traffic.stop();
  }

  const samples = traffic.samples;
  console.log(report('redis-outage (3 sequential workers, 1 serve)', samples));
  console.log(
    `redis-outage: kill to gone ${killMs.toFixed(0)} ms; restart to PONG ${restartMs.toFixed(0)} ms; ` +
      `restart to /health/ready 200 ${recoveryMs.toFixed(0)} ms`,
  );

  // The same process answered throughout: no crash, no refused connection, no 500 anywhere.
  expect(serve.running()).toBe(true);
  expect(samples.filter((s) => s.status === 0)).toEqual([]);
  const needsRedis = new Set(['GET /health/ready', 'POST /admin/maintenance/prune']);
  expect(samples.filter((s) => s.status >= 500 && !needsRedis.has(s.route))).toEqual([]);
  expect(samples.filter((s) => s.status === 500)).toEqual([]);

  const normal: Record<string, number> = {
    'GET /api/v1/me': 200,
    'POST /auth/login (wrong)': 401,
    'POST /auth/login (right)': 200,
    'GET /health/ready': 200,
    'POST /admin/maintenance/prune': 202,
  };
  const unexpected = (list: Sample[], expected: (s: Sample) => boolean) => list.filter((s) => !expected(s));

  for (const phase of ['before', 'after']) {
    const answers = within(samples, phase);
    expect(answers.length).toBeGreaterThan(0);
    expect(unexpected(answers, (s) => s.status === normal[s.route])).toEqual([]);
  }

  // During the outage the API routes answer as usual; readiness is a 503 problem naming redis (and the queue,
  // which lives on it).
  const outage = within(samples, 'outage');
  expect(outage.length).toBeGreaterThanOrEqual(100);
  const api = outage.filter((s) => !needsRedis.has(s.route));
  const readiness = outage.filter((s) => s.route === 'GET /health/ready');
  const enqueues = outage.filter((s) => s.route === 'POST /admin/maintenance/prune');
  expect(api.length).toBeGreaterThan(0);
  expect(readiness.length).toBeGreaterThan(0);
  expect(enqueues.length).toBeGreaterThan(0);
  // A clean 503 where the queue is required, fast (producers do not wait for Redis).
  for (const s of enqueues) {
    expect(s).toMatchObject({ status: 503, code: 'QUEUE_UNAVAILABLE' });
    expect(s.contentType).toContain(PROBLEM);
  }
  expect(unexpected(api, (s) => s.status === normal[s.route])).toEqual([]);
  for (const s of readiness) {
    expect(s).toMatchObject({ status: 503, code: 'HEALTH_NOT_READY' });
    expect(s.contentType).toContain(PROBLEM);
    const body = s.problem as { detail: string; components: { name: string; status: string }[] };
    expect(body.detail).toMatch(/redis/);
    expect(body.components).toContainEqual(expect.objectContaining({ name: 'redis', status: 'down' }));
    expect(body.components).toContainEqual(expect.objectContaining({ name: 'database', status: 'up' }));
  }

  // It noticed, and noticed the return (createRedis logs both transitions once).
  expect(serve.lines.some((l) => l.msg === 'redis unavailable')).toBe(true);
  expect(serve.lines.some((l) => l.msg === 'redis available again')).toBe(true);
  expect(recoveryMs).toBeLessThan(15_000);
});

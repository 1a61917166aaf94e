// A fleet of real processes (DESIGN §2): two `serve` and one `worker` on one PostgreSQL and one Redis, sharing
// their secrets. What one process counts, signs or invalidates holds on the other; jobs run on the worker only.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  pollUntil,
  request,
  startServe,
  uniqueEmail,
  type HttpResult,
  type ServeProcess,
  type Session,
} from '../e2e/serve-process.ts';
import { startRedis, type RedisServer } from '../harness/servers.ts';
import { fleetEnv, startFaultPostgres, tempDataDir, type FaultPostgres } from './backends.ts';
import { killWorkers, startWorker, type WorkerProcess } from './worker-process.ts';

const ANONYMOUS_PER_MINUTE = 10;
const LOGIN_MAX_FAILURES = 3;
/** The longest an access-guarding cache entry lives in a process's memory in fleet mode (DESIGN §8). */
const GUARDED_L1_TTL_MS = 5_000;

let postgres: FaultPostgres | undefined;
let redis: RedisServer | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let a: ServeProcess;
let b: ServeProcess;
let worker: WorkerProcess;
let startedAtOnceMs: number;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRedis()]);
  data = await tempDataDir();
  const env = {
    ...fleetEnv(postgres, redis, data.dir),
    // Each test below speaks for its own client address (X-Forwarded-For), so its buckets are its own.
    TRUST_PROXY: 'true',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(ANONYMOUS_PER_MINUTE),
    LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
  };
  // Both at once on an empty database, as an orchestrator starts replicas: both run the migrations.
  const started = performance.now();
  [a, b] = await Promise.all([startServe(env), startServe(env)]);
  startedAtOnceMs = performance.now() - started;
  worker = await startWorker(env);
}, 120_000);

afterAll(async () => {
  await killWorkers();
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove()]);
});

/** cache_requests_total{namespace="user",result="hit"} of one process. */
async function userCacheHits(serve: ServeProcess): Promise<number> {
  const metrics = await request(`${serve.url}/metrics`);
  const line = /^cache_requests_total\{[^}]*namespace="user"[^}]*result="hit"[^}]*\} (\d+)/m.exec(
    metrics.body,
  );
  return Number(line?.[1] ?? 0);
}

const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PASSWORD = 'correct horse battery staple';

/** Registers a new account on `serve`, as a client at `ip` (each test keeps to its own anonymous bucket). */
async function registerFrom(serve: ServeProcess, ip: string, prefix: string): Promise<Session> {
  const res = await request(`${serve.url}/api/v1/auth/register`, {
    body: { email: uniqueEmail(prefix), password: PASSWORD },
    headers: from(ip),
  });
  expect(res.status).toBe(201);
  return res.json as Session;
}

it('starts two serve processes at once on an empty database: each migration is applied once', async () => {
  console.log(`fleet: two serves started at once, both ready in ${startedAtOnceMs.toFixed(0)} ms`);
  const client = new pg.Client({ connectionString: postgres!.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; n: number }>(
      'select name, count(*)::int as n from lectern_migration group by name order by name',
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  } finally {
    await client.end();
  }
  expect(a.running() && b.running() && worker.running()).toBe(true);
});

it('shares the anonymous rate limit: requests alternated between the two serves get 429 from the 11th', async () => {
  const ip = '203.0.113.11';
  const answers: { on: string; status: number; code?: string; remaining?: string; retryAfter?: string }[] =
    [];
  for (let i = 0; i < ANONYMOUS_PER_MINUTE + 3; i++) {
    const serve = i % 2 === 0 ? a : b;
    const res = await request(`${serve.url}/api/v1/me`, { headers: from(ip) }); // anonymous: 401 when allowed
    answers.push({
      on: serve === a ? 'A' : 'B',
      status: res.status,
      code: (res.json as { code?: string }).code,
      remaining: /r=(\d+)/.exec(String(res.headers.ratelimit))?.[1],
      retryAfter: res.headers['retry-after'],
    });
  }
  console.log(
    `fleet rate limit (${ANONYMOUS_PER_MINUTE}/min, alternating A/B): ` +
      answers.map((x, i) => `${i + 1}:${x.on}=${x.status}(r=${x.remaining})`).join(' '),
  );
  const allowed = answers.slice(0, ANONYMOUS_PER_MINUTE);
  const refused = answers.slice(ANONYMOUS_PER_MINUTE);
  expect(allowed.map((x) => x.code)).toEqual(Array(ANONYMOUS_PER_MINUTE).fill('AUTH_UNAUTHENTICATED'));
  // One budget counted down across both processes: 9, 8, … 0.
  expect(allowed.map((x) => Number(x.remaining))).toEqual(
    Array.from({ length: ANONYMOUS_PER_MINUTE }, (_, i) => ANONYMOUS_PER_MINUTE - 1 - i),
  );
  for (const x of refused) {
    expect(x).toMatchObject({ status: 429, code: 'RATE_LIMITED', remaining: '0' });
    expect(Number(x.retryAfter)).toBeGreaterThan(0);
  }
  expect(new Set(refused.map((x) => x.on))).toEqual(new Set(['A', 'B']));
});

it('shares the login lockout: failures on either serve add up, and the lock holds on both', async () => {
  const ip = '203.0.113.12';
  const email = uniqueEmail('fleet-lockout');
  const password = PASSWORD;
  const registered = await request(`${a.url}/api/v1/auth/register`, {
    body: { email, password },
    headers: from(ip),
  });
  expect(registered.status).toBe(201);
  const attempt = (serve: ServeProcess, pw: string) =>
    request(`${serve.url}/api/v1/auth/login`, { body: { email, password: pw }, headers: from(ip) });

  const steps: [string, HttpResult][] = [];
  steps.push(['B right', await attempt(b, password)]);
  steps.push(['A wrong', await attempt(a, 'wrong 1')]);
  steps.push(['B wrong', await attempt(b, 'wrong 2')]);
  steps.push(['A wrong', await attempt(a, 'wrong 3')]); // the third failure, counted across both: locked
  steps.push(['B right', await attempt(b, password)]); // locked on the other process too
  steps.push(['A right', await attempt(a, password)]);
  console.log(
    `fleet login lockout (max ${LOGIN_MAX_FAILURES}): ${steps.map(([s, r]) => `${s}=${r.status}`).join(' ')}`,
  );

  expect(steps.map(([, r]) => r.status)).toEqual([200, 401, 401, 429, 429, 429]);
  for (const [, r] of steps.slice(3)) {
    expect(r.json).toMatchObject({ code: 'AUTH_LOGIN_LOCKED' });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  }
});

it('accepts on serve B what serve A issued: access token, refresh token and API token', async () => {
  const ip = '203.0.113.13';
  const session = await registerFrom(a, ip, 'fleet-auth');
  const meOnB = await request(`${b.url}/api/v1/me`, { headers: bearer(session.tokens.accessToken) });
  expect(meOnB.status).toBe(200);
  expect(meOnB.json).toMatchObject({ id: session.user.id, email: session.user.email });

  const refreshed = await request(`${b.url}/api/v1/auth/refresh`, {
    body: { refreshToken: session.tokens.refreshToken },
    headers: from(ip),
  });
  expect(refreshed.status).toBe(200);
  // The rotated-out refresh token is refused on A: the rotation happened in the shared database.
  const reused = await request(`${a.url}/api/v1/auth/refresh`, {
    body: { refreshToken: session.tokens.refreshToken },
    headers: from(ip),
  });
  expect(reused.status).toBe(401);

  const created = await request(`${b.url}/api/v1/me/tokens`, {
    body: { name: 'fleet script' },
    headers: bearer(session.tokens.accessToken),
  });
  expect(created.status).toBe(201);
  const apiToken = (created.json as { token: string }).token;
  const meOnA = await request(`${a.url}/api/v1/me`, { headers: bearer(apiToken) });
  expect(meOnA.status).toBe(200);
  expect(meOnA.json).toMatchObject({ id: session.user.id });
});

it('runs the scheduled maintenance.prune on the worker process, never on a serve process', async () => {
  const line = await worker.waitForLine((l) => l.msg === 'maintenance.prune removed expired rows', 30_000);
  console.log(`fleet jobs: worker pid ${worker.pid} ran maintenance.prune: ${JSON.stringify(line)}`);
  expect(line).toMatchObject({ pid: worker.pid });
  expect(worker.lines.filter((l) => l.msg === 'maintenance.prune removed expired rows')).toHaveLength(1);
  for (const serve of [a, b]) {
    expect(serve.lines.filter((l) => l.msg === 'maintenance.prune removed expired rows')).toEqual([]);
    expect(serve.lines.filter((l) => l.msg === 'worker started')).toEqual([]);
    expect(
      serve.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Lectern listening')),
    ).toMatchObject({ mode: 'fleet' });
  }
});

it('invalidates a deleted user on the other serve within the guarded memory TTL (user cache namespace)', async () => {
  const ip = '203.0.113.14';
  const session = await registerFrom(a, ip, 'fleet-cache');
  const auth = bearer(session.tokens.accessToken);
  // B resolves the user twice: the second answer is a cache hit (its memory tier; Redis holds it too), so only
  // an invalidation can make B refuse the user before the entry expires.
  const hitsBefore = await userCacheHits(b);
  for (let i = 0; i < 2; i++)
    expect((await request(`${b.url}/api/v1/me`, { headers: auth })).status).toBe(200);
  expect(await userCacheHits(b)).toBeGreaterThan(hitsBefore);

  const deleted = await request(`${a.url}/api/v1/me`, { method: 'DELETE', headers: auth });
  expect(deleted.status).toBe(204);
  const since = performance.now();
  // The access token itself stays valid (stateless, 15 min): only the user lookup can refuse it now.
  const refused = await pollUntil(
    'serve B to refuse the deleted user',
    async () => {
      const res = await request(`${b.url}/api/v1/me`, { headers: auth });
      return res.status === 200 ? undefined : res;
    },
    GUARDED_L1_TTL_MS + 5_000,
    10,
  );
  const ms = performance.now() - since;
  console.log(`fleet cache: serve B refused the user deleted on serve A after ${ms.toFixed(0)} ms`);
  expect(refused.status).toBe(401);
  expect(ms).toBeLessThan(GUARDED_L1_TTL_MS + 500);
  expect((await request(`${a.url}/api/v1/me`, { headers: auth })).status).toBe(401);
  const loginOnB = await request(`${b.url}/api/v1/auth/login`, {
    body: { email: session.user.email, password: PASSWORD },
    headers: from(ip),
  });
  expect(loginOnB.status).toBe(401);
});

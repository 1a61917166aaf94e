// PostgreSQL restarts under a fleet `serve` process taking writes (DESIGN §2, §6): while the database is gone
// every answer is a 503 problem (never a 500, never a dropped connection), the pool recovers without
// restarting the process, and no write that was acknowledged with a 201 is missing afterwards.
import { afterAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  pollUntil,
  register,
  request,
  startServe,
  uniqueEmail,
  type HttpResult,
} from '../e2e/serve-process.ts';
import {
  fleetEnv,
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
const OUTAGE_CODES = ['DB_UNAVAILABLE', 'DB_BUSY', 'HEALTH_NOT_READY'];
const RESTARTS = 3;
const WORKERS = 4;

it('answers 503 while PostgreSQL restarts, recovers in place and loses no acknowledged write', async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRestartableRedis()]);
  data = await tempDataDir();
  const serve = await startServe({
    ...fleetEnv(postgres, redis, data.dir),
    RATE_LIMIT_USER_PER_MINUTE: '100000',
  });
  /**
   * Fails with the process' own last words when it is gone or going: close-with-grace logs "closing after an
   * unexpected error" on an uncaught exception, then shuts the process down.
   */
  const expectAlive = (step: string) => {
    const crashed = serve.lines.some((l) => l.msg === 'closing after an unexpected error');
    if (serve.running() && !crashed) return;
    const fatal = serve.lines
      .filter((l) => (l.level ?? 0) >= 50 && l.msg !== 'request failed')
      .map((l) => `${String(l.msg)}: ${(l.err as { message?: string } | undefined)?.message ?? ''}`);
    expect.fail(
      `serve pid ${serve.pid} ${serve.running() ? 'is shutting down' : 'exited'} after "${step}":\n` +
        `${fatal.join('\n')}\n${serve.stderr()}`,
    );
  };
  const session = await register(serve.url, uniqueEmail('pg-restart'), 'correct horse battery staple');
  const auth = { authorization: `Bearer ${session.tokens.accessToken}` };
  const get = (path: string): Promise<HttpResult> =>
    request(`${serve.url}${path}`, { headers: auth, timeoutMs: 15_000 });

  /** Token name → what its POST answered (201 with the id, or not acknowledged). */
  const writes = new Map<string, { acknowledged: boolean; id?: string }>();
  const write = (name: string): Request => ({
    route: 'POST /api/v1/me/tokens',
    send: async () => {
      writes.set(name, { acknowledged: false });
      const res = await request(`${serve.url}/api/v1/me/tokens`, {
        body: { name },
        headers: auth,
        timeoutMs: 15_000,
      });
      if (res.status === 201) writes.set(name, { acknowledged: true, id: (res.json as { id: string }).id });
      return res;
    },
  });
  const mix = (worker: number, i: number): Request => {
    switch (i % 4) {
      case 0:
        return write(`fault-${worker}-${i}`);
      case 1:
        return { route: 'GET /api/v1/me', send: () => get('/api/v1/me') };
      case 2:
        return { route: 'GET /api/v1/me/tokens', send: () => get('/api/v1/me/tokens?limit=5') };
      default:
        return { route: 'GET /health/ready', send: () => get('/health/ready') };
    }
  };
  const traffic = startTraffic({ concurrency: WORKERS, maxRequests: 6000, maxMs: 150_000, next: mix });

  /**
   * ms from `since` until a database read answers 200 (GET /me may be served by the user cache, so the probe is
   * the token list) and until readiness is 200 again.
   */
  const recovered = async (since: number) => {
    const answers = (path: string) => async () => ((await get(path)).status === 200 ? true : undefined);
    await pollUntil('a database read to answer 200', answers('/api/v1/me/tokens?limit=1'), 30_000, 20);
    const read = performance.now() - since;
    await pollUntil('/health/ready 200', answers('/health/ready'), 30_000, 20);
    return { read, ready: performance.now() - since };
  };

  const figures: Record<string, number> = {};
  try {
    await traffic.waitForSamples('before', 80, 30_000);

    // What an operator does, `pg_ctl restart -m fast` (every session is terminated), several times: whether a
    // session dies between a query's answer and its release is a matter of timing.
    for (let round = 1; round <= RESTARTS; round++) {
      traffic.setPhase(`restart ${round}`);
      const started = performance.now();
      await postgres.restart();
      figures[`restart${round}CommandMs`] = performance.now() - started;
      expectAlive(`pg_ctl restart (round ${round})`);
      traffic.setPhase(`restart ${round} recovery`);
      const afterRestart = await recovered(performance.now());
      figures[`restarted${round}ToReadOkMs`] = afterRestart.read;
      figures[`restarted${round}ToReadyMs`] = afterRestart.ready;
      traffic.setPhase(`between ${round}`);
      await traffic.waitForSamples(`between ${round}`, 40, 30_000);
    }

    // Then a longer outage: stopped until at least 100 requests were answered without it.
    traffic.setPhase('stopping');
    await postgres.stopServer();
    expectAlive('pg_ctl stop');
    traffic.setPhase('down');
    await traffic.waitForSamples('down', 120, 60_000);
    expectAlive('PostgreSQL down');
    traffic.setPhase('starting');
    const starting = performance.now();
    await postgres.startServer();
    figures.startCommandMs = performance.now() - starting;
    expectAlive('pg_ctl start');
    traffic.setPhase('start recovery');
    const afterStart = await recovered(performance.now());
    figures.startedToReadOkMs = afterStart.read;
    figures.startedToReadyMs = afterStart.ready;
    traffic.setPhase('after');
    await traffic.waitForSamples('after', 80, 30_000);
  } finally {
    await traffic.stop();
    console.log(report(`postgres-restart (${WORKERS} sequential workers, 1 serve)`, traffic.samples));
    console.log(
      `postgres-restart: ${Object.entries(figures)
        .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
        .join(', ')}`,
    );
  }

  // Every token the API holds for the user, through every page.
  const listed = new Map<string, string>();
  for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
    const page = await get(`/api/v1/me/tokens?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    const body = page.json as { items: { id: string; name: string }[]; nextCursor: string | null };
    for (const item of body.items) {
      expect(listed.has(item.id)).toBe(false); // keyset pages neither repeat nor skip
      listed.set(item.id, item.name);
    }
    cursor = body.nextCursor;
  }
  const acknowledged = [...writes].filter(([, w]) => w.acknowledged);
  const lost = acknowledged.filter(([name, w]) => listed.get(w.id!) !== name);
  const names = new Set(listed.values());
  const unacknowledged = [...writes].filter(([, w]) => !w.acknowledged);
  const committedAnyway = unacknowledged.filter(([name]) => names.has(name));

  const samples = traffic.samples;
  console.log(
    `postgres-restart: writes sent ${writes.size}, acknowledged (201) ${acknowledged.length}, ` +
      `listed afterwards ${listed.size}, acknowledged but missing ${lost.length}, ` +
      `not acknowledged ${unacknowledged.length} (of which committed anyway: ${committedAnyway.length})`,
  );

  // One process throughout: it never restarted, never refused a connection, never answered 500.
  expect(serve.running()).toBe(true);
  expect(
    serve.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Lectern listening')),
  ).toHaveLength(1);
  expect(samples.filter((s) => s.status === 0)).toEqual([]);
  expect(samples.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);

  // Every 503 says what it is, as problem+json with a database code.
  const outageAnswer = (s: Sample) =>
    s.status === 503 && (s.contentType ?? '').includes(PROBLEM) && OUTAGE_CODES.includes(s.code ?? '');
  expect(samples.filter((s) => s.status === 503 && !outageAnswer(s))).toEqual([]);

  const normal: Record<string, number> = {
    'POST /api/v1/me/tokens': 201,
    'GET /api/v1/me': 200,
    'GET /api/v1/me/tokens': 200,
    'GET /health/ready': 200,
  };
  const rounds = Array.from({ length: RESTARTS }, (_, i) => i + 1);
  for (const phase of ['before', ...rounds.map((r) => `between ${r}`), 'after']) {
    const answers = within(samples, phase);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((s) => s.status !== normal[s.route])).toEqual([]);
  }
  // Whatever overlaps the restart itself is either served or a 503 problem.
  const overlapping = rounds.flatMap((r) => [`restart ${r}`, `restart ${r} recovery`]);
  for (const phase of [...overlapping, 'stopping', 'starting', 'start recovery']) {
    expect(within(samples, phase).filter((s) => s.status !== normal[s.route] && !outageAnswer(s))).toEqual(
      [],
    );
  }
  // With the database stopped: reads and writes of tokens are 503 problems. GET /me may still answer 200: the
  // caller's user comes from the `user` cache namespace (DESIGN §8), fresh for its TTL whatever SQL says.
  const down = within(samples, 'down');
  expect(down.length).toBeGreaterThanOrEqual(100);
  expect(
    down.filter((s) => s.route.includes('/tokens') || s.route === 'GET /health/ready').length,
  ).toBeGreaterThan(50);
  expect(down.filter((s) => !outageAnswer(s) && !(s.route === 'GET /api/v1/me' && s.status === 200))).toEqual(
    [],
  );
  for (const s of down.filter((s) => s.route === 'GET /health/ready')) {
    expect((s.problem as { detail: string }).detail).toMatch(/database/);
  }

  expect(acknowledged.length).toBeGreaterThan(0);
  expect(lost.map(([name]) => name)).toEqual([]);
  for (const r of rounds) expect(figures[`restarted${r}ToReadyMs`]).toBeLessThan(10_000);
  expect(figures.startedToReadyMs).toBeLessThan(10_000);
});

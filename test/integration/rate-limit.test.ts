import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/servers.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Request rate limits: per address for anonymous API calls, per user for authenticated ones. In the postgres
// project every app of every test file counts in the same Redis, so each test speaks from addresses of its own.
const LIMITS = { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '5', RATE_LIMIT_USER_PER_MINUTE: '5' };
const ANONYMOUS_POLICY = '"anonymous";q=5;w=60';
const USER_POLICY = '"user";q=5;w=60';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(LIMITS);
});
afterAll(() => t.close());

let seq = 0;
/** A client address no other test (or test file sharing the Redis) uses. */
const address = () => `10.${randomInt(256)}.${randomInt(256)}.${++seq % 256}`;

type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

const anonymous = (app: TestApp, ip: string, headers: Record<string, string> = {}) =>
  app.app.inject({ method: 'GET', url: '/api/v1/nothing', remoteAddress: ip, headers });

async function register(app: TestApp): Promise<string> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    remoteAddress: address(),
    payload: { email: `limits${++seq}-${Date.now()}@example.com`, password: 'correct horse battery' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ tokens: { accessToken: string } }>().tokens.accessToken;
}

const me = (app: TestApp, accessToken: string, ip: string) =>
  app.app.inject({
    method: 'GET',
    url: '/api/v1/me',
    remoteAddress: ip,
    headers: { authorization: `Bearer ${accessToken}` },
  });

/** `r` of the RateLimit header, which must name the policy. */
function remaining(res: Response, policy: 'anonymous' | 'user'): number {
  const match = /^"(\w+)";r=(\d+);t=(\d+)$/.exec(String(res.headers.ratelimit));
  expect(match, `RateLimit: ${String(res.headers.ratelimit)}`).not.toBeNull();
  const [, name, r, seconds] = match!;
  expect(name).toBe(policy);
  expect(Number(seconds)).toBeGreaterThanOrEqual(1);
  expect(Number(seconds)).toBeLessThanOrEqual(60);
  return Number(r);
}

function expectRateLimited(res: Response, policy: 'anonymous' | 'user') {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({
    status: 429,
    code: 'RATE_LIMITED',
    type: 'urn:lectern:problem:RATE_LIMITED',
    requestId: res.headers['x-request-id'],
  });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(remaining(res, policy)).toBe(0);
}

async function inSequence(count: number, send: (i: number) => Promise<Response>): Promise<Response[]> {
  const answers: Response[] = [];
  for (let i = 0; i < count; i++) answers.push(await send(i));
  return answers;
}

describe('anonymous requests', () => {
  it('carry RateLimit-Policy and a decreasing RateLimit; the 6th in a minute gets 429 with Retry-After', async () => {
    const ip = address();
    const answers = await inSequence(5, () => anonymous(t, ip));
    expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404]);
    expect(answers.map((r) => r.headers['ratelimit-policy'])).toEqual(Array(5).fill(ANONYMOUS_POLICY));
    expect(answers.map((r) => remaining(r, 'anonymous'))).toEqual([4, 3, 2, 1, 0]);

    const sixth = await anonymous(t, ip);
    expectRateLimited(sixth, 'anonymous');
    expect(sixth.headers['ratelimit-policy']).toBe(ANONYMOUS_POLICY);
    // Every anonymous API route shares the address' budget, checked before the body is read.
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      payload: { email: 'nobody@example.com', password: 'wrong password' },
    });
    expectRateLimited(login, 'anonymous');
    // Another address has its own budget.
    expect(remaining(await anonymous(t, address()), 'anonymous')).toBe(4);
  });

  it('count a request whose Authorization header does not authenticate against the address', async () => {
    // A route that does not authenticate ignores the header: it must not be a way around the address' budget.
    const ip = address();
    const answers = await inSequence(6, (i) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        headers: { authorization: 'Bearer not-a-token' },
        payload: { email: `nobody${i}@example.com`, password: 'wrong password' },
      }),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('count an API route reached through a percent-encoded path against the address', async () => {
    // The router decodes `/%61pi/...` to `/api/...`: the same login route must cost the same budget.
    const ip = address();
    const answers = await inSequence(6, (i) =>
      t.app.inject({
        method: 'POST',
        url: '/%61pi/v1/auth/login',
        remoteAddress: ip,
        payload: { email: `nobody${i}@example.com`, password: 'wrong password' },
      }),
    );
    expect(answers[0]!.json()).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' }); // the login route ran
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('with TRUST_PROXY=false all clients behind one peer address share its budget, whatever X-Forwarded-For says', async () => {
    const ip = address();
    const answers = await inSequence(6, (i) => anonymous(t, ip, { 'x-forwarded-for': `203.0.113.${i + 1}` }));
    expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404, 429]);
  });

  it('with TRUST_PROXY=true each X-Forwarded-For client gets a budget of its own', async () => {
    const proxied = await createTestApp({ ...LIMITS, TRUST_PROXY: 'true' });
    try {
      const proxy = address();
      const [first, second] = [address(), address()];
      const fromFirst = await inSequence(6, () => anonymous(proxied, proxy, { 'x-forwarded-for': first }));
      expect(fromFirst.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404, 429]);
      const fromSecond = await anonymous(proxied, proxy, { 'x-forwarded-for': second });
      expect(fromSecond.statusCode).toBe(404);
      expect(remaining(fromSecond, 'anonymous')).toBe(4);
    } finally {
      await proxied.close();
    }
  });
});

describe('authenticated requests', () => {
  it('are limited per user, under the "user" policy, apart from the address budget', async () => {
    const [alice, bob] = [await register(t), await register(t)];
    const ip = address(); // both users behind one address
    const fromAlice = await inSequence(5, () => me(t, alice, ip));
    expect(fromAlice.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(fromAlice.map((r) => r.headers['ratelimit-policy'])).toEqual(Array(5).fill(USER_POLICY));
    expect(fromAlice.map((r) => remaining(r, 'user'))).toEqual([4, 3, 2, 1, 0]);
    expectRateLimited(await me(t, alice, ip), 'user');
    expectRateLimited(await me(t, alice, address()), 'user'); // the budget follows the user, not the address

    const fromBob = await me(t, bob, ip);
    expect(fromBob.statusCode).toBe(200);
    expect(remaining(fromBob, 'user')).toBe(4);
    // The users' requests did not spend the address' anonymous budget.
    expect(remaining(await anonymous(t, ip), 'anonymous')).toBe(4);
  });
});

describe('operations endpoints', () => {
  it('/health and /metrics are never limited, even for an address whose budget is spent', async () => {
    const ip = address();
    await inSequence(5, () => anonymous(t, ip));
    expectRateLimited(await anonymous(t, ip), 'anonymous');
    const answers = await inSequence(12, (i) =>
      t.app.inject({ method: 'GET', url: i % 2 === 0 ? '/health' : '/metrics', remoteAddress: ip }),
    );
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    for (const res of answers) {
      expect(res.headers.ratelimit).toBeUndefined();
      expect(res.headers['ratelimit-policy']).toBeUndefined();
    }
  });
});

describe('several processes', () => {
  it('share one budget through Redis in fleet mode; embedded processes count alone', async () => {
    const other = await createTestApp(LIMITS);
    try {
      const ip = address();
      const answers = await inSequence(6, (i) => anonymous(i % 2 === 0 ? t : other, ip));
      if (t.engine === 'postgres') {
        expect(other.deps.redis?.status).toBe('ready');
        expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404, 429]);
        expect(answers.slice(0, 5).map((r) => remaining(r, 'anonymous'))).toEqual([4, 3, 2, 1, 0]);
      } else {
        expect(other.deps.redis).toBeUndefined();
        expect(answers.map((r) => r.statusCode)).toEqual(Array(6).fill(404));
        expect(answers.map((r) => remaining(r, 'anonymous'))).toEqual([4, 4, 3, 3, 2, 2]);
      }
    } finally {
      await other.close();
    }
  });

  it('never answer 5xx when Redis is down: the in-memory limiter enforces the limits alone', async () => {
    // Fleet: Redis at a port where nothing listens. Embedded: no Redis at all, the memory limiter is the limiter.
    const app =
      t.engine === 'postgres'
        ? await createTestApp({ ...LIMITS, REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
        : t;
    try {
      if (t.engine === 'postgres') expect(app.deps.redis?.status).not.toBe('ready');
      else expect(app.deps.redis).toBeUndefined();

      const ip = address();
      const answers = await inSequence(6, () => anonymous(app, ip));
      expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404, 429]);
      expect(answers.map((r) => remaining(r, 'anonymous'))).toEqual([4, 3, 2, 1, 0, 0]);
      expectRateLimited(answers[5]!, 'anonymous');

      const accessToken = await register(app);
      const login = await app.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: address(),
        payload: { email: 'nobody@example.com', password: 'wrong password' },
      });
      expect(login.statusCode).toBe(401);
      const fromUser = await inSequence(6, () => me(app, accessToken, address()));
      expect(fromUser.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 429]);
      expectRateLimited(fromUser[5]!, 'user');
    } finally {
      if (app !== t) await app.close();
    }
  });
});

describe('RATE_LIMIT=off', () => {
  it('sends no rate-limit headers and never answers 429', async () => {
    const unlimited = await createTestApp({ ...LIMITS, RATE_LIMIT: 'off' });
    try {
      const ip = address();
      const answers = await inSequence(8, () => anonymous(unlimited, ip));
      const accessToken = await register(unlimited);
      answers.push(...(await inSequence(8, () => me(unlimited, accessToken, ip))));
      expect(answers.map((r) => r.statusCode)).toEqual([...Array(8).fill(404), ...Array(8).fill(200)]);
      for (const res of answers) {
        expect(res.headers.ratelimit).toBeUndefined();
        expect(res.headers['ratelimit-policy']).toBeUndefined();
      }
    } finally {
      await unlimited.close();
    }
  });
});

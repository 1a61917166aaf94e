import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT_BYTES: '4096' });
});
afterAll(() => t.close());

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({
    status,
    code,
    type: `urn:lectern:problem:${code}`,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  // Nothing internal leaks: no stack frames, file paths or SQL.
  expect(JSON.stringify(body)).not.toMatch(/\bat \w+ \(|\/work\/|node_modules|\bselect\b.*\bfrom\b/i);
  return body;
}

describe('problem+json for every error', () => {
  it('404 for an unknown path', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' }), 404, 'HTTP_NOT_FOUND');
  });

  it('405 with Allow for a known path and the wrong method', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/auth/login' });
    expectProblem(res, 405, 'HTTP_METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('POST');
  });

  it('400 with errors[] for schema violations, naming each field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'a@b.co', password: 'long enough', admin: true },
    });
    const body = expectProblem(res, 400, 'HTTP_VALIDATION_FAILED');
    expect(body.errors).toEqual([{ path: 'body/admin', message: expect.any(String) }]);
  });

  it('400 for malformed JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    expectProblem(res, 400, 'HTTP_BAD_REQUEST');
  });

  it('413 for a body over the limit', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@b.co', password: 'x'.repeat(5000) },
    });
    expectProblem(res, 413, 'HTTP_BODY_TOO_LARGE');
  });

  it('415 for a content type the route does not accept', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expectProblem(res, 415, 'HTTP_UNSUPPORTED_MEDIA_TYPE');
  });

  it('400 and 414 problems for URLs the router cannot take, with a request id', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/me/tokens/%zz' }), 400, 'HTTP_BAD_URL');
    const long = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${'a'.repeat(300)}` });
    expectProblem(long, 414, 'HTTP_URI_TOO_LONG');
  });

  it('431 and 400 problems on the raw socket for requests the HTTP parser rejects', async () => {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
    const oversized = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(oversized).toMatch(/^HTTP\/1\.1 431 /);
    expect(oversized).toContain('application/problem+json');
    expect(JSON.parse(oversized.split('\r\n\r\n')[1]!)).toMatchObject({
      status: 431,
      code: 'HTTP_HEADERS_TOO_LARGE',
    });
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(JSON.parse(garbage.split('\r\n\r\n')[1]!)).toMatchObject({
      status: 400,
      code: 'HTTP_BAD_REQUEST',
    });
  });

  it('503 with Retry-After when the process is overloaded, while liveness still answers', async () => {
    const loaded = await createTestApp({ OVERLOAD_PROTECTION: 'on', MAX_EVENT_LOOP_DELAY_MS: '10' });
    try {
      // Block the event loop long enough for under-pressure's sampler to see the delay.
      let res;
      const deadline = Date.now() + 10_000;
      do {
        const until = Date.now() + 200;
        while (Date.now() < until) {
          /* busy: this is the overload */
        }
        await new Promise((resolve) => setImmediate(resolve));
        res = await loaded.app.inject({ method: 'GET', url: '/api/v1/me' });
      } while (res.statusCode !== 503 && Date.now() < deadline);
      expectProblem(res, 503, 'HTTP_OVERLOADED');
      expect(res.headers['retry-after']).toBe('5');
      expect((await loaded.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await loaded.close();
    }
  });
});

describe('headers on every response', () => {
  it('security headers, request id and timing, on success and on errors', async () => {
    for (const url of ['/health', '/api/v1/missing']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(res.headers['x-process-time'])).toBeGreaterThanOrEqual(0);
      expect(res.headers['server-timing']).toMatch(/db;dur=[\d.]+;desc="\d+ statements", total;dur=[\d.]+/);
    }
  });

  it('keeps a sane caller request id and replaces an unsafe one', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(kept.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'evil\r\nheader: 1' },
    });
    expect(replaced.headers['x-request-id']).not.toContain('evil');
  });

  it('counts every SQL statement of a request in Server-Timing, BEGIN and COMMIT included', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `timing-${Date.now()}@example.com`, password: 'long enough' },
    });
    expect(res.statusCode).toBe(201);
    // BEGIN, insert user, insert refresh token, COMMIT.
    expect(res.headers['server-timing']).toMatch(/desc="4 statements"/);
  });

  it('compresses bodies over 1 KB with brotli or gzip, and not small ones', async () => {
    const br = await t.app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    const gzip = await t.app.inject({
      method: 'GET',
      url: '/docs/json',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    const small = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('allows CORS only from configured origins', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/me',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    expect((await preflight('https://app.example.com')).headers['access-control-allow-origin']).toBe(
      'https://app.example.com',
    );
    expect(
      (await preflight('https://evil.example.com')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });
});

describe('TRUST_PROXY', () => {
  async function lockoutsPerForwardedAddress(trustProxy: string) {
    const app = await createTestApp({ TRUST_PROXY: trustProxy, LOGIN_MAX_FAILURES: '2' });
    try {
      const email = `proxy-${trustProxy}-${Date.now()}@example.com`;
      const login = (ip: string) =>
        app.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-forwarded-for': ip },
          payload: { email, password: 'wrong password' },
        });
      await login('203.0.113.1');
      await login('203.0.113.1');
      return (await login('203.0.113.2')).statusCode;
    } finally {
      await app.close();
    }
  }

  it('with TRUST_PROXY=true, clients behind the proxy get their own buckets', async () => {
    expect(await lockoutsPerForwardedAddress('true')).toBe(401);
  });

  it('with TRUST_PROXY=false, X-Forwarded-For is ignored (one bucket for the peer address)', async () => {
    expect(await lockoutsPerForwardedAddress('false')).toBe(429);
  });
});

describe('operations endpoints', () => {
  it('/health/ready lists every component with status and latency', async () => {
    // Embedded, the local embedder loads its word vectors in the background after start.
    await t.deps.localEmbedder?.ready();
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const names = res
      .json<{ components: { name: string; status: string; latencyMs: number }[] }>()
      .components.map((c) => `${c.name}:${c.status}`);
    if (t.engine === 'pglite') {
      expect(names).toEqual(['database:up', 'vector:up', 'storage:up', 'queue:up', 'embedder:up']);
    } else expect(names).toEqual(['database:up', 'vector:disabled', 'storage:up', 'queue:up', 'redis:up']);
  });

  it('/health/ready answers 503 problem+json naming the component that is down', async () => {
    const broken = await createTestApp();
    broken.deps.checks.push({
      name: 'storage',
      required: true,
      check: () => Promise.reject(new Error('disk gone')),
    });
    try {
      const res = await broken.app.inject({ method: 'GET', url: '/health/ready' });
      const body = expectProblem(res, 503, 'HEALTH_NOT_READY');
      expect(body.detail).toContain('storage');
      expect(body.components).toContainEqual(
        expect.objectContaining({ name: 'storage', status: 'down', detail: 'unavailable' }),
      );
      // How it failed goes to the log only.
      expect(JSON.stringify(body)).not.toContain('disk gone');
      expect(
        broken.logs.some(
          (l) => l.msg === 'readiness check failed' && JSON.stringify(l).includes('disk gone'),
        ),
      ).toBe(true);
    } finally {
      await broken.close();
    }
  });

  it('/metrics passes promtool check metrics and carries the HTTP and SQL series', async () => {
    await t.app.inject({ method: 'GET', url: '/health/ready' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('http_request_duration_seconds_bucket{');
    expect(res.body).toContain('db_query_duration_seconds_count{operation="select"}');
    expect(res.body).toContain('db_pool_connections{state="total"}');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    expect(promtool.error, 'promtool must be installed (Debian package prometheus)').toBeUndefined();
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
  });

  it('/docs serves the API reference and /docs/json an OpenAPI 3.1 document with response schemas everywhere', async () => {
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/register', '/api/v1/me', '/health/ready']),
    );
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const responses = Object.entries(op.responses ?? {});
        expect(responses.length, `${method} ${path}`).toBeGreaterThan(0);
        // A route without a response schema gets a bare "Default Response" with no content.
        for (const [status, response] of responses) {
          const declared = status === '204' || (response as { content?: unknown }).content !== undefined;
          expect(declared, `${method} ${path} ${status}`).toBe(true);
        }
      }
    }
  });

  it('logs one JSON line per request with request id, user, route, status and duration', async () => {
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `log-${Date.now()}@example.com`, password: 'long enough' },
    });
    const { user, tokens } = register.json<{ user: { id: string }; tokens: { accessToken: string } }>();
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const line = t.logs.find((l) => l.requestId === res.headers['x-request-id'] && l.msg === 'request');
    expect(line).toMatchObject({
      userId: user.id,
      route: '/api/v1/me',
      status: 200,
      method: 'GET',
      durationMs: expect.any(Number),
    });
    expect(JSON.stringify(t.logs)).not.toContain(tokens.accessToken);
  });
});

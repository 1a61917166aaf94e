import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Two API processes: in fleet mode they count failed logins together in Redis; embedded processes count alone.
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  [a, b] = await Promise.all([
    createTestApp({ LOGIN_MAX_FAILURES: '2' }),
    createTestApp({ LOGIN_MAX_FAILURES: '2' }),
  ]);
});
afterAll(() => Promise.all([a.close(), b.close()]));

it('shares the login lockout across processes through Redis in fleet mode, and only there', async () => {
  const email = `shared-${Date.now()}@example.com`;
  const login = (t: TestApp) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: 'wrong password' },
    });
  expect((await login(a)).statusCode).toBe(401);
  expect((await login(a)).statusCode).toBe(429);
  const onOtherProcess = await login(b);
  if (a.engine === 'postgres') {
    expect(a.deps.redis?.status).toBe('ready');
    expect(onOtherProcess.statusCode).toBe(429);
  } else {
    expect(a.deps.redis).toBeUndefined();
    expect(onOtherProcess.statusCode).toBe(401);
  }
});

it('logs requests slower than SLOW_REQUEST_MS as warnings', async () => {
  const slow = await createTestApp({ SLOW_REQUEST_MS: '1' });
  try {
    // Registration hashes a password with scrypt: always well over a millisecond.
    const res = await slow.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `slow-${Date.now()}@example.com`, password: 'long enough' },
    });
    const line = slow.logs.find((l) => l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({
      level: 40,
      msg: 'slow request',
      route: '/api/v1/auth/register',
      status: 201,
    });
  } finally {
    await slow.close();
  }
});

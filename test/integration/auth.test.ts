import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

let t: TestApp;
let seq = 0;
const email = () => `user${++seq}-${Date.now()}@example.com`;

beforeAll(async () => {
  t = await createTestApp({ LOGIN_MAX_FAILURES: '3', ADMIN_EMAILS: 'boss@example.com' });
});
afterAll(() => t.close());

async function register(address = email(), password = 'correct horse battery') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: address, password },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{
    user: { id: string; email: string };
    tokens: { accessToken: string; refreshToken: string };
  }>();
}

const me = (token: string) =>
  t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

describe('register and login', () => {
  it('creates an account, normalises the email and refuses a second one case-insensitively', async () => {
    const address = email();
    const { user } = await register(address.toUpperCase());
    expect(user.email).toBe(address);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: address, password: 'another password' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ code: 'USER_EMAIL_TAKEN', status: 409 });
  });

  it('rejects weak or malformed input with the offending fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'not-an-email', password: 'short' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; errors: { path: string }[] }>();
    expect(body.code).toBe('HTTP_VALIDATION_FAILED');
    expect(body.errors.length).toBeGreaterThan(0);
  });

  it('logs in with the right password only, and the password never appears in logs', async () => {
    const address = email();
    await register(address, 'the right password');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: address, password: 'the right password' },
    });
    expect(ok.statusCode).toBe(200);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: address, password: 'the wrong password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: email(), password: 'whatever it is' },
    });
    expect(unknown.json()).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    expect(JSON.stringify(t.logs)).not.toContain('the right password');
  });

  it('locks an account for an address after repeated failures, with Retry-After', async () => {
    const address = email();
    await register(address, 'the right password');
    const attempt = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: address, password } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt('nope nope nope')).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    const locked = await attempt('the right password');
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'AUTH_LOGIN_LOCKED' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('access tokens', () => {
  it('accepts a valid token: /me costs one SQL statement, then none while the user is cached', async () => {
    const { user, tokens } = await register();
    const res = await me(tokens.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, isAdmin: false });
    expect(res.headers['server-timing']).toMatch(/desc="1 statements"/);
    expect(res.headers['cache-control']).toBe('no-store');
    const again = await me(tokens.accessToken);
    expect(again.json()).toEqual(res.json());
    expect(again.headers['server-timing']).toMatch(/desc="0 statements"/);
    expect(t.deps.cache.stats().user.hits).toBeGreaterThan(0);
  });

  it('answers 401 problem+json for missing, malformed, expired, tampered, alg none and wrong-key tokens', async () => {
    const { user, tokens } = await register();
    const [header, payload] = tokens.accessToken.split('.') as [string, string, string];
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, typ: 'access', iss: 'lectern' };
    const candidates = {
      malformed: 'not-a-jwt',
      expired: createSigner({
        key: t.secrets.jwt,
        clockTimestamp: Date.now() - 3_600_000,
        expiresIn: 60_000,
      })(claims),
      tampered: `${header}.${b64({ ...claims, sub: '00000000-0000-7000-8000-000000000000', iat: now, exp: now + 600 })}.${tokens.accessToken.split('.')[2]}`,
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      wrongKey: createSigner({ key: 'x'.repeat(48), expiresIn: 60_000 })(claims),
      wrongAlgorithm: createSigner({ key: t.secrets.jwt, algorithm: 'HS512', expiresIn: 60_000 })(claims),
    };
    for (const [name, token] of Object.entries(candidates)) {
      const res = await me(token);
      expect(res.statusCode, name).toBe(401);
      expect(res.headers['content-type'], name).toContain('application/problem+json');
      expect(res.json(), name).toMatchObject({ code: 'AUTH_UNAUTHENTICATED' });
    }
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses the tokens of a deleted user', async () => {
    const { tokens } = await register();
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(del.statusCode).toBe(204);
    expect((await me(tokens.accessToken)).statusCode).toBe(401);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
  });

  it('gives admins the admin role and others 403 on admin routes', async () => {
    const admin = await register('boss@example.com');
    const other = await register();
    const perf = (token: string) =>
      t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/performance',
        headers: { authorization: `Bearer ${token}` },
      });
    const ok = await perf(admin.tokens.accessToken);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      database: { engine: t.engine },
      memory: { rssBytes: expect.any(Number) },
    });
    expect((await perf(other.tokens.accessToken)).json()).toMatchObject({
      status: 403,
      code: 'AUTH_FORBIDDEN',
    });
    const prune = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/maintenance/prune',
        headers: { authorization: `Bearer ${token}` },
      });
    const queued = await prune(admin.tokens.accessToken);
    expect(queued.statusCode).toBe(202);
    expect(queued.json<{ jobId: string }>().jobId).toMatch(/^maintenance\.prune-manual-\d+$/);
    expect((await prune(other.tokens.accessToken)).statusCode).toBe(403);
  });
});

describe('refresh tokens', () => {
  it('rotates, and reuse of a rotated token revokes the whole family', async () => {
    const { tokens } = await register();
    const refresh = (refreshToken: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    const first = await refresh(tokens.refreshToken);
    expect(first.statusCode).toBe(200);
    const rotated = first.json<{ refreshToken: string; accessToken: string }>();
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
    expect((await me(rotated.accessToken)).statusCode).toBe(200);

    const reuse = await refresh(tokens.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ code: 'AUTH_REFRESH_INVALID' });
    // The thief's reuse also burned the legitimate holder's newer token.
    expect((await refresh(rotated.refreshToken)).statusCode).toBe(401);
  });

  it('lets exactly one of two concurrent refreshes succeed, and treats the other as reuse that ends the session', async () => {
    const { tokens } = await register();
    const results = await Promise.all(
      [1, 2].map(() =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: tokens.refreshToken },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    // Strict rotation (RFC 9700 §4.14.2): the loser's presentation counts as reuse and revokes the family, so
    // even the winner's new refresh token is dead. Clients must not refresh concurrently.
    const winner = results.find((r) => r.statusCode === 200)!.json<{ refreshToken: string }>();
    const next = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: winner.refreshToken },
    });
    expect(next.statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  it('creates, authenticates with, pages through and revokes API tokens', async () => {
    const { tokens } = await register();
    const auth = { authorization: `Bearer ${tokens.accessToken}` };
    const created = [];
    for (const name of ['ci', 'backup', 'laptop']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/tokens',
        headers: auth,
        payload: { name },
      });
      expect(res.statusCode).toBe(201);
      created.push(res.json<{ id: string; token: string; name: string }>());
    }
    expect(created[0]!.token).toMatch(/^lct_/);
    expect((await me(created[0]!.token)).statusCode).toBe(200);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/me/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: auth })).json<{
        items: { name: string; token?: string }[];
        nextCursor: string | null;
      }>();
      expect(page.items.every((i) => i.token === undefined)).toBe(true);
      seen.push(...page.items.map((i) => i.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['laptop', 'backup', 'ci']);

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/tokens/${created[0]!.id}`,
      headers: auth,
    });
    expect(del.statusCode).toBe(204);
    expect((await me(created[0]!.token)).statusCode).toBe(401);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/tokens/${created[0]!.id}`,
      headers: auth,
    });
    expect(again.json()).toMatchObject({ status: 404, code: 'TOKEN_NOT_FOUND' });
  });

  it('pages through rows created in one transaction (same created_at) without skipping any', async () => {
    const { user, tokens } = await register();
    const names = ['a', 'b', 'c', 'd', 'e'];
    const actor = { id: user.id, email: user.email, displayName: 'x', createdAt: new Date(), isAdmin: false };
    // One transaction: every row gets the same now(), to the microsecond on PostgreSQL.
    await t.deps.database.transaction(async () => {
      for (const name of names) await t.deps.users.createApiToken(actor, name);
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/me/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (
        await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.accessToken}` } })
      ).json<{ items: { name: string }[]; nextCursor: string | null }>();
      seen.push(...page.items.map((i) => i.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(names);
  });

  it("answers 400 for a cursor it did not issue and 404 for another user's token", async () => {
    const a = await register();
    const b = await register();
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me/tokens?cursor=garbage',
      headers: { authorization: `Bearer ${a.tokens.accessToken}` },
    });
    expect(bad.json()).toMatchObject({ status: 400, code: 'HTTP_INVALID_CURSOR' });
    const token = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/tokens',
        headers: { authorization: `Bearer ${a.tokens.accessToken}` },
        payload: { name: 'a' },
      })
    ).json<{ id: string }>();
    const steal = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/tokens/${token.id}`,
      headers: { authorization: `Bearer ${b.tokens.accessToken}` },
    });
    expect(steal.statusCode).toBe(404);
  });
});

import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) through HTTP, on the creating POST that uses it.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

interface NewToken {
  id: string;
  name: string;
  token: string;
  createdAt: string;
  lastUsedAt: string | null;
}

let seq = 0;
async function register(): Promise<{ id: string; accessToken: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: `idem${++seq}-${Date.now()}@example.com`, password: 'correct horse battery' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { user, tokens } = res.json<{ user: { id: string }; tokens: { accessToken: string } }>();
  return { id: user.id, accessToken: tokens.accessToken };
}

function createToken(accessToken: string, body: unknown, key?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/me/tokens',
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    payload: body as Record<string, unknown>,
  });
}

async function tokenIds(accessToken: string): Promise<string[]> {
  const res = await t.app.inject({
    method: 'GET',
    url: '/api/v1/me/tokens',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ items: { id: string }[] }>().items.map((item) => item.id);
}

async function storedKey(userId: string, key: string) {
  return t.deps.database.db
    .selectFrom('idempotency_keys')
    .select(['status', 'response_status'])
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst();
}

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:lectern:problem:${code}` });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

describe('Idempotency-Key on POST /api/v1/me/tokens', () => {
  it('replays the stored answer to a repeat with the same body: same token, one token created', async () => {
    const user = await register();
    const key = randomUUID();
    const first = await createToken(user.accessToken, { name: 'ci' }, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const created = first.json<NewToken>();
    expect(created).toMatchObject({ name: 'ci', token: expect.any(String) });
    expect(await storedKey(user.id, key)).toEqual({ status: 'done', response_status: 201 });

    const again = await createToken(user.accessToken, { name: 'ci' }, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<NewToken>()).toEqual(created);
    expect(await tokenIds(user.accessToken)).toEqual([created.id]);
    // The replayed token is the real one: it authenticates.
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(me.statusCode).toBe(200);
  });

  it('refuses the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED, nothing created', async () => {
    const user = await register();
    const key = randomUUID();
    const first = await createToken(user.accessToken, { name: 'deploy' }, key);
    expect(first.statusCode).toBe(201);
    const other = await createToken(user.accessToken, { name: 'something else' }, key);
    expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await tokenIds(user.accessToken)).toEqual([first.json<NewToken>().id]);
  });

  it('runs concurrent duplicates once: the other gets 409 IDEMPOTENCY_KEY_IN_FLIGHT or the replay', async () => {
    const user = await register();
    const key = randomUUID();
    const answers = await Promise.all([
      createToken(user.accessToken, { name: 'twin' }, key),
      createToken(user.accessToken, { name: 'twin' }, key),
    ]);
    const fresh = answers.filter(
      (r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined,
    );
    expect(fresh).toHaveLength(1);
    const other = answers.find((r) => r !== fresh[0])!;
    if (other.statusCode === 409) {
      expectProblem(other, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
      expect(Number(other.headers['retry-after'])).toBeGreaterThan(0);
    } else {
      expect(other.statusCode).toBe(201);
      expect(other.headers['idempotent-replayed']).toBe('true');
      expect(other.json()).toEqual(fresh[0]!.json());
    }
    expect(await tokenIds(user.accessToken)).toEqual([fresh[0]!.json<NewToken>().id]);
    // Once the first has finished, a retry gets its answer.
    const retry = await createToken(user.accessToken, { name: 'twin' }, key);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(fresh[0]!.json());
  });

  it('scopes keys per user: another user may use the same key', async () => {
    const [a, b] = [await register(), await register()];
    const key = randomUUID();
    const fromA = await createToken(a.accessToken, { name: 'shared key' }, key);
    const fromB = await createToken(b.accessToken, { name: 'shared key' }, key);
    expect([fromA.statusCode, fromB.statusCode]).toEqual([201, 201]);
    expect(fromB.headers['idempotent-replayed']).toBeUndefined();
    expect(fromB.json<NewToken>().id).not.toBe(fromA.json<NewToken>().id);
    expect(await tokenIds(a.accessToken)).toEqual([fromA.json<NewToken>().id]);
    expect(await tokenIds(b.accessToken)).toEqual([fromB.json<NewToken>().id]);
    // And a different body from B under that key is B's own business: 422 for B, A's record untouched.
    expectProblem(await createToken(b.accessToken, { name: 'other' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect((await createToken(a.accessToken, { name: 'shared key' }, key)).json()).toEqual(fromA.json());
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(300)],
    ['not ASCII', 'clé-1'],
    ['containing a space', 'two words'],
  ])('answers 400 IDEMPOTENCY_KEY_INVALID to a key that is %s, creating nothing', async (_case, key) => {
    const user = await register();
    expectProblem(
      await createToken(user.accessToken, { name: 'bad key' }, key),
      400,
      'IDEMPOTENCY_KEY_INVALID',
    );
    expect(await tokenIds(user.accessToken)).toEqual([]);
  });

  it('accepts a key of exactly 255 printable ASCII characters', async () => {
    const user = await register();
    const key = '~'.repeat(255);
    expect((await createToken(user.accessToken, { name: 'long key' }, key)).statusCode).toBe(201);
    const again = await createToken(user.accessToken, { name: 'long key' }, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('without the header, every request creates', async () => {
    const user = await register();
    const first = await createToken(user.accessToken, { name: 'plain' });
    const second = await createToken(user.accessToken, { name: 'plain' });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(new Set(await tokenIds(user.accessToken))).toEqual(
      new Set([first.json<NewToken>().id, second.json<NewToken>().id]),
    );
  });

  it('does not claim the key for a request that fails validation: a corrected retry with it succeeds', async () => {
    // Validation runs before preHandler hooks, so an invalid body is answered before the key is looked at.
    const user = await register();
    const key = randomUUID();
    const invalid = await createToken(user.accessToken, { name: '' }, key);
    expectProblem(invalid, 400, 'HTTP_VALIDATION_FAILED');
    expect(await storedKey(user.id, key)).toBeUndefined();

    const corrected = await createToken(user.accessToken, { name: 'fixed' }, key);
    expect(corrected.statusCode).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    const again = await createToken(user.accessToken, { name: 'fixed' }, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await tokenIds(user.accessToken)).toEqual([corrected.json<NewToken>().id]);
  });

  it('frees the key after a server error, so the client may retry with it', async () => {
    const user = await register();
    const key = randomUUID();
    // A failing insert stands for any server error inside the handler.
    await sql`alter table api_tokens add constraint test_refuse_name check (name <> 'explode') not valid`.execute(
      t.deps.database.db,
    );
    let failed;
    try {
      failed = await createToken(user.accessToken, { name: 'explode' }, key);
    } finally {
      await sql`alter table api_tokens drop constraint test_refuse_name`.execute(t.deps.database.db);
    }
    expectProblem(failed, 500, 'INTERNAL_ERROR');
    // The key is released in onResponse, after the answer has gone out (until then a retry gets a 409).
    await vi.waitFor(async () => expect(await storedKey(user.id, key)).toBeUndefined());

    const retry = await createToken(user.accessToken, { name: 'explode' }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await tokenIds(user.accessToken)).toEqual([retry.json<NewToken>().id]);
  });
});

describe('stored responses', () => {
  it('are sealed: the database never holds the one-time API token in the clear', async () => {
    const user = await register();
    const key = randomUUID();
    const created = await createToken(user.accessToken, { name: 'sealed' }, key);
    expect(created.statusCode).toBe(201);
    const secret = created.json<NewToken>().token;
    const row = await t.deps.database.db
      .selectFrom('idempotency_keys')
      .select(['response_body'])
      .where('user_id', '=', user.id)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row.response_body)).not.toContain(secret);
    expect(JSON.stringify(row.response_body)).not.toContain('sealed');
    // …and the replay still returns it, once unsealed.
    const replay = await createToken(user.accessToken, { name: 'sealed' }, key);
    expect(replay.json<NewToken>().token).toBe(secret);
  });
});

describe('keys whose request died', () => {
  it('are taken over by a retry once in flight longer than twice the request timeout', async () => {
    const user = await register();
    const key = randomUUID();
    expect((await createToken(user.accessToken, { name: 'retry' }, key)).statusCode).toBe(201);
    // What a process that crashed mid-request leaves behind: the key claimed, never completed.
    const setKey = (values: { status?: 'in_flight'; created_at?: Date }) =>
      t.deps.database.db
        .updateTable('idempotency_keys')
        .set(values)
        .where('user_id', '=', user.id)
        .where('key', '=', key)
        .execute();
    await setKey({ status: 'in_flight' });
    expect((await createToken(user.accessToken, { name: 'retry' }, key)).statusCode).toBe(409);
    await setKey({ created_at: new Date(Date.now() - 2 * t.deps.config.http.requestTimeoutMs - 1000) });
    const retried = await createToken(user.accessToken, { name: 'retry' }, key);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await storedKey(user.id, key)).toEqual({ status: 'done', response_status: 201 });
  });
});

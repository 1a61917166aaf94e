import { sql } from 'kysely';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { registerUser } from '../harness/library.ts';
import { call, connect, createTag, ok, post, setTags, type User } from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Connections, blocks, audience tags and comments: the rules and every refusal as problem+json with its code.
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '50' });
});
afterAll(() => t.close());

async function expectProblem(response: ReturnType<typeof call>, status: number, code: string): Promise<void> {
  const res = await response;
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json<{ code: string }>().code).toBe(code);
}

const users = async (n: number): Promise<User[]> =>
  Promise.all(Array.from({ length: n }, () => registerUser(t)));

describe('connections', () => {
  it('requests, refuses self, duplicates and unknown users, and accepts on the other side only', async () => {
    const [a, b] = await users(2);
    await expectProblem(
      call(t, a, 'POST', '/api/v1/connections', { userId: a!.id }),
      422,
      'SOCIAL_CONNECTION_SELF',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/connections', { userId: uuidv7() }),
      404,
      'SOCIAL_USER_NOT_FOUND',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/connections', { userId: 'nope' }),
      400,
      'HTTP_VALIDATION_FAILED',
    );
    expect(await ok(call(t, a, 'POST', '/api/v1/connections', { userId: b!.id }), 201)).toEqual({
      userId: b!.id,
      status: 'pending',
    });
    await expectProblem(
      call(t, a, 'POST', '/api/v1/connections', { userId: b!.id }),
      409,
      'SOCIAL_CONNECTION_PENDING',
    );
    await expectProblem(
      call(t, a, 'POST', `/api/v1/connections/${b!.id}/accept`),
      409,
      'SOCIAL_CONNECTION_OWN_REQUEST',
    );
    const stranger = (await users(1))[0]!;
    await expectProblem(
      call(t, stranger, 'POST', `/api/v1/connections/${a!.id}/accept`),
      404,
      'SOCIAL_CONNECTION_NOT_FOUND',
    );
    const incoming = await ok<{ items: { userId: string }[] }>(
      call(t, b, 'GET', '/api/v1/connections?status=incoming'),
    );
    expect(incoming.items.map((i) => i.userId)).toEqual([a!.id]);
    await ok(call(t, b, 'POST', `/api/v1/connections/${a!.id}/accept`));
    await expectProblem(
      call(t, b, 'POST', '/api/v1/connections', { userId: a!.id }),
      409,
      'SOCIAL_CONNECTION_EXISTS',
    );
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = await ok<{ items: { userId: string; status: string }[] }>(
        call(t, me, 'GET', '/api/v1/connections'),
      );
      expect(list.items).toEqual([expect.objectContaining({ userId: other!.id, status: 'accepted' })]);
    }
  });

  it('accepts a crossing request, declines, withdraws and removes', async () => {
    const [a, b, c] = await users(3);
    await ok(call(t, a, 'POST', '/api/v1/connections', { userId: b!.id }), 201);
    expect(await ok(call(t, b, 'POST', '/api/v1/connections', { userId: a!.id }))).toEqual({
      userId: a!.id,
      status: 'accepted',
    });
    await ok(call(t, c, 'POST', '/api/v1/connections', { userId: a!.id }), 201);
    await expectProblem(
      call(t, c, 'POST', `/api/v1/connections/${a!.id}/decline`),
      409,
      'SOCIAL_CONNECTION_OWN_REQUEST',
    );
    await ok(call(t, a, 'POST', `/api/v1/connections/${c!.id}/decline`), 204);
    await expectProblem(
      call(t, a, 'POST', `/api/v1/connections/${c!.id}/accept`),
      404,
      'SOCIAL_CONNECTION_NOT_FOUND',
    );
    await ok(call(t, c, 'POST', '/api/v1/connections', { userId: a!.id }), 201);
    await ok(call(t, c, 'DELETE', `/api/v1/connections/${a!.id}`), 204);
    await ok(call(t, a, 'DELETE', `/api/v1/connections/${b!.id}`), 204);
    await expectProblem(
      call(t, b, 'DELETE', `/api/v1/connections/${a!.id}`),
      404,
      'SOCIAL_CONNECTION_NOT_FOUND',
    );
    const list = await ok<{ items: unknown[] }>(call(t, b, 'GET', '/api/v1/connections'));
    expect(list.items).toEqual([]);
  });

  it('pages connections by keyset without duplicates or gaps', async () => {
    const [hub, ...peers] = await users(7);
    for (const peer of peers) await connect(t, peer, hub!);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { userId: string }[]; nextCursor: string | null } = await ok(
        call(t, hub, 'GET', `/api/v1/connections?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...page.items.map((i) => i.userId));
      cursor = page.nextCursor;
    } while (cursor);
    expect([...seen].sort()).toEqual(peers.map((p) => p.id).sort());
    await expectProblem(call(t, hub, 'GET', '/api/v1/connections?cursor=bogus'), 400, 'HTTP_INVALID_CURSOR');
  });

  it('blocks: the connection goes, requests either way are refused, unblocking allows a new request', async () => {
    const [a, b] = await users(2);
    await connect(t, a!, b!);
    await ok(call(t, a, 'POST', '/api/v1/blocks', { userId: b!.id }), 204);
    expect((await ok<{ items: unknown[] }>(call(t, b, 'GET', '/api/v1/connections'))).items).toEqual([]);
    // The blocked side learns nothing: the same answer as for an unknown user.
    await expectProblem(
      call(t, b, 'POST', '/api/v1/connections', { userId: a!.id }),
      404,
      'SOCIAL_USER_NOT_FOUND',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/connections', { userId: b!.id }),
      409,
      'SOCIAL_USER_BLOCKED',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/blocks', { userId: a!.id }),
      422,
      'SOCIAL_CONNECTION_SELF',
    );
    const blocked = await ok<{ items: { userId: string }[] }>(
      call(t, a, 'GET', '/api/v1/connections?status=blocked'),
    );
    expect(blocked.items.map((i) => i.userId)).toEqual([b!.id]);
    await ok(call(t, a, 'DELETE', `/api/v1/blocks/${b!.id}`), 204);
    await expectProblem(call(t, a, 'DELETE', `/api/v1/blocks/${b!.id}`), 404, 'SOCIAL_BLOCK_NOT_FOUND');
    await ok(call(t, b, 'POST', '/api/v1/connections', { userId: a!.id }), 201);
  });
});

describe('audience tags', () => {
  it('creates, lists, refuses duplicates and foreign tags, and tags connections only', async () => {
    const [a, b, c] = await users(3);
    const close = await createTag(t, a!, 'Close friends');
    await expectProblem(
      call(t, a, 'POST', '/api/v1/audience-tags', { name: 'close FRIENDS' }),
      409,
      'SOCIAL_TAG_EXISTS',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/audience-tags', { name: ' ' }),
      400,
      'HTTP_VALIDATION_FAILED',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/audience-tags', { name: 'x', extra: 1 }),
      400,
      'HTTP_VALIDATION_FAILED',
    );
    const foreign = await createTag(t, c!, 'Work');
    expect((await ok<{ items: { id: string }[] }>(call(t, a, 'GET', '/api/v1/audience-tags'))).items).toEqual(
      [expect.objectContaining({ id: close, name: 'Close friends' })],
    );
    await expectProblem(
      call(t, a, 'PUT', `/api/v1/connections/${b!.id}/tags`, { tagIds: [close] }),
      404,
      'SOCIAL_CONNECTION_NOT_FOUND',
    );
    await connect(t, a!, b!);
    await expectProblem(
      call(t, a, 'PUT', `/api/v1/connections/${b!.id}/tags`, { tagIds: [foreign] }),
      404,
      'SOCIAL_TAG_NOT_FOUND',
    );
    await setTags(t, a!, b!, [close, close]);
    const list = await ok<{ items: { userId: string; tagIds: string[] }[] }>(
      call(t, a, 'GET', '/api/v1/connections'),
    );
    expect(list.items).toEqual([expect.objectContaining({ userId: b!.id, tagIds: [close] })]);
    await expectProblem(
      call(t, a, 'POST', '/api/v1/posts', { body: 'x', audience: [foreign] }),
      404,
      'SOCIAL_TAG_NOT_FOUND',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/posts', { body: 'x', audience: ['all', close] }),
      422,
      'SOCIAL_AUDIENCE_INVALID',
    );
    await ok(call(t, a, 'DELETE', `/api/v1/audience-tags/${close}`), 204);
    await expectProblem(call(t, a, 'DELETE', `/api/v1/audience-tags/${close}`), 404, 'SOCIAL_TAG_NOT_FOUND');
    await expectProblem(
      call(t, a, 'DELETE', `/api/v1/audience-tags/${foreign}`),
      404,
      'SOCIAL_TAG_NOT_FOUND',
    );
  });
});

describe('posts and comments', () => {
  it('validates bodies, replays Idempotency-Key, and lets only the right people delete', async () => {
    const [a, b, c] = await users(3);
    await connect(t, a!, b!);
    await expectProblem(
      call(t, a, 'POST', '/api/v1/posts', { body: 'x'.repeat(5001), audience: ['all'] }),
      400,
      'HTTP_VALIDATION_FAILED',
    );
    await expectProblem(
      call(t, a, 'POST', '/api/v1/posts', { body: 'x', audience: [] }),
      400,
      'HTTP_VALIDATION_FAILED',
    );
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: { authorization: `Bearer ${a!.token}`, 'idempotency-key': 'post-1' },
        payload: { body: 'once', audience: ['all'] },
      });
    const first = await send();
    const again = await send();
    expect(first.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    const postId = first.json<{ id: string }>().id;

    const comment = await ok<{ id: string }>(
      call(t, b, 'POST', `/api/v1/posts/${postId}/comments`, { body: 'hi' }),
      201,
    );
    const own = await ok<{ id: string }>(
      call(t, a, 'POST', `/api/v1/posts/${postId}/comments`, { body: 'mine' }),
      201,
    );
    await expectProblem(
      call(t, c, 'POST', `/api/v1/posts/${postId}/comments`, { body: 'x' }),
      404,
      'SOCIAL_POST_NOT_FOUND',
    );
    await expectProblem(call(t, b, 'DELETE', `/api/v1/comments/${own.id}`), 403, 'SOCIAL_COMMENT_FORBIDDEN');
    await expectProblem(call(t, c, 'DELETE', `/api/v1/comments/${own.id}`), 404, 'SOCIAL_COMMENT_NOT_FOUND');
    const got = await ok<{ commentCount: number; viewer: { commented: boolean } }>(
      call(t, b, 'GET', `/api/v1/posts/${postId}`),
    );
    expect(got).toMatchObject({ commentCount: 2, viewer: { commented: true } });
    // The post's author may delete anyone's comment on it.
    await ok(call(t, a, 'DELETE', `/api/v1/comments/${comment.id}`), 204);
    await ok(call(t, a, 'DELETE', `/api/v1/comments/${own.id}`), 204);

    await expectProblem(call(t, b, 'DELETE', `/api/v1/posts/${postId}`), 404, 'SOCIAL_POST_NOT_FOUND');
    await ok(call(t, a, 'DELETE', `/api/v1/posts/${postId}`), 204);
    await expectProblem(call(t, a, 'GET', `/api/v1/posts/${postId}`), 404, 'SOCIAL_POST_NOT_FOUND');
  });

  it('pages comments by keyset, newest first', async () => {
    const [a] = await users(1);
    const { id } = await post(t, a!, 'many comments');
    const written: string[] = [];
    for (let i = 0; i < 7; i++) {
      written.push(
        (await ok<{ id: string }>(call(t, a, 'POST', `/api/v1/posts/${id}/comments`, { body: `c${i}` }), 201))
          .id,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await ok(
        call(t, a, 'GET', `/api/v1/posts/${id}/comments?limit=3${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...written].reverse());
  });
});

describe('account deletion', () => {
  it('takes the account’s connections, tags, posts, comments and feed entries with it', async () => {
    const [leaving, staying] = await users(2);
    await connect(t, leaving!, staying!);
    await createTag(t, leaving!, 'gone');
    const { id } = await post(t, leaving!, 'about to vanish');
    const mine = await post(t, staying!, 'staying');
    await ok(call(t, leaving, 'POST', `/api/v1/posts/${mine.id}/comments`, { body: 'bye' }), 201);
    await ok(call(t, staying, 'GET', `/api/v1/posts/${id}`));
    await ok(call(t, leaving, 'DELETE', '/api/v1/me'), 204);
    await expectProblem(call(t, staying, 'GET', `/api/v1/posts/${id}`), 404, 'SOCIAL_POST_NOT_FOUND');
    expect((await ok<{ items: unknown[] }>(call(t, staying, 'GET', '/api/v1/connections'))).items).toEqual(
      [],
    );
    expect(
      await ok<{ commentCount: number }>(call(t, staying, 'GET', `/api/v1/posts/${mine.id}`)),
    ).toMatchObject({ commentCount: 0 });
    const { rows } = await sql<{ n: number }>`
      select (select count(*)::int from feed_entries where post_id = ${id})
        + (select count(*)::int from audience_tags where owner_id = ${leaving!.id})
        + (select count(*)::int from connections where peer_id = ${leaving!.id}) as n`.execute(
      t.deps.database.db,
    );
    expect(rows[0]!.n).toBe(0);
  });
});

describe('metrics', () => {
  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const valueOf = (text: string, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

  it('counts requests, accepts, posts, deletions and feeds, gauges the totals, and passes promtool', async () => {
    const [a, b] = await users(2);
    const before = await scrape();
    await connect(t, a!, b!);
    const { id } = await post(t, a!, 'counted');
    await ok(call(t, b, 'GET', '/api/v1/feed'));
    await ok(call(t, a, 'DELETE', `/api/v1/posts/${id}`), 204);
    await post(t, a!, 'kept');
    const after = await scrape();
    const delta = (name: string) => valueOf(after, name) - valueOf(before, name);
    expect(delta('connection_requests_total')).toBe(1);
    expect(delta('connection_accepts_total')).toBe(1);
    expect(delta('post_creations_total')).toBe(2);
    expect(delta('post_deletions_total')).toBe(1);
    expect(delta('feed_requests_total')).toBe(1);
    expect(delta('feed_latency_seconds_count')).toBe(1);
    expect(delta('post_creation_latency_seconds_count')).toBe(2);
    const { rows } = await sql<{ users: number; posts: number; connections: number }>`
      select (select count(*)::int from users) as users, (select count(*)::int from posts) as posts,
        (select count(*)::int from connections where status = 'accepted') / 2 as connections`.execute(
      t.deps.database.db,
    );
    expect(valueOf(after, 'lectern_users')).toBe(rows[0]!.users);
    expect(valueOf(after, 'lectern_posts')).toBe(rows[0]!.posts);
    expect(valueOf(after, 'lectern_active_connections')).toBe(rows[0]!.connections);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: after, encoding: 'utf8' });
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
  });
});

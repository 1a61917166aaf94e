import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestApp } from './test-app.ts';

export interface User {
  id: string;
  token: string;
}

/** A JSON request as `user` (anonymous without one). */
export function call(t: TestApp, user: User | undefined, method: string, url: string, payload?: unknown) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: user ? { authorization: `Bearer ${user.token}` } : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

export async function ok<T>(
  response: Promise<{ statusCode: number; body: string }>,
  status = 200,
): Promise<T> {
  const res = await response;
  expect(res.statusCode, res.body).toBe(status);
  return (res.body ? JSON.parse(res.body) : undefined) as T;
}

export async function connect(t: TestApp, a: User, b: User): Promise<void> {
  await ok(call(t, a, 'POST', '/api/v1/connections', { userId: b.id }), 201);
  await ok(call(t, b, 'POST', `/api/v1/connections/${a.id}/accept`));
}

export async function createTag(t: TestApp, owner: User, name: string): Promise<string> {
  return (await ok<{ id: string }>(call(t, owner, 'POST', '/api/v1/audience-tags', { name }), 201)).id;
}

export async function setTags(t: TestApp, owner: User, peer: User, tagIds: string[]): Promise<void> {
  await ok(call(t, owner, 'PUT', `/api/v1/connections/${peer.id}/tags`, { tagIds }));
}

export async function post(t: TestApp, author: User, body: string, audience: string[] = ['all']) {
  return ok<{ id: string }>(call(t, author, 'POST', '/api/v1/posts', { body, audience }), 201);
}

export interface FeedPage {
  items: { id: string; body: string; author: { id: string }; commentCount: number }[];
  nextCursor: string | null;
}

/** Every post id of the user's feed, following cursors. */
export async function wholeFeed(t: TestApp, user: User, limit = 100): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: FeedPage = await ok<FeedPage>(
      call(t, user, 'GET', `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`),
    );
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** Waits until every outbox event is delivered and no job is waiting or running (fan-out is asynchronous). */
export async function settleFeeds(t: TestApp): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from outbox_deliveries where delivered_at is null`.execute(
      t.deps.database.db,
    );
    const stats = await t.deps.queue.stats();
    if (rows[0]!.n === 0 && stats.waiting === 0 && stats.active === 0) return;
    if (Date.now() > deadline) throw new Error(`feeds did not settle: ${JSON.stringify({ rows, stats })}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The reference answer: the straightforward join over posts, connections and tags, newest first. */
export async function referenceFeed(t: TestApp, userId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select p.id from posts p
    where p.author_id = ${userId}
       or p.id in (
         select p2.id from posts p2
         join connections c on c.user_id = p2.author_id and c.peer_id = ${userId} and c.status = 'accepted'
         left join post_audience_tags pat on pat.post_id = p2.id
         left join connection_tags ct
           on ct.tag_id = pat.tag_id and ct.owner_id = p2.author_id and ct.peer_id = ${userId}
         where p2.audience = 'all' or ct.tag_id is not null
       )
    order by p.created_at desc, p.id desc`.execute(t.deps.database.db);
  return rows.map((r) => r.id);
}

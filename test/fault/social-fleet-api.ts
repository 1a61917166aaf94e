// The social API as a client of a fleet sees it: JSON requests to one `serve` process or another, as a user or
// anonymously, and the few setup steps (connect, tag, post with a photo) the fleet visibility test needs.
import pg from 'pg';
import { expect } from 'vitest';
import { pollUntil, register, request, uniqueEmail, type HttpResult } from '../e2e/serve-process.ts';

export interface FleetUser {
  id: string;
  auth: Record<string, string>;
}

/** A 1×1 PNG: the smallest photo the post's type check accepts. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export async function newUser(url: string, label: string): Promise<FleetUser> {
  const session = await register(url, uniqueEmail(label), 'correct horse battery staple');
  return { id: session.user.id, auth: { authorization: `Bearer ${session.tokens.accessToken}` } };
}

/** A JSON request to `url` as `user` (anonymous without one). */
export function api(
  url: string,
  user: FleetUser | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  return request(`${url}${path}`, { method, body, headers: user?.auth ?? {}, timeoutMs: 15_000 });
}

/** The request's answer, failing with its body unless the status is `status`. */
export async function expectStatus<T>(answer: Promise<HttpResult>, status: number): Promise<T> {
  const res = await answer;
  expect(res.status, res.body).toBe(status);
  return res.json as T;
}

export async function connect(url: string, user: FleetUser, peer: FleetUser): Promise<void> {
  await expectStatus(api(url, user, 'POST', '/api/v1/connections', { userId: peer.id }), 201);
  await expectStatus(api(url, peer, 'POST', `/api/v1/connections/${user.id}/accept`), 200);
}

export async function setTags(url: string, owner: FleetUser, peer: FleetUser, tagIds: string[]) {
  await expectStatus(api(url, owner, 'PUT', `/api/v1/connections/${peer.id}/tags`, { tagIds }), 200);
}

/** Uploads a PNG through an upload slot (local storage: the signed PUT is served by Lectern); its blob key. */
export async function uploadPhoto(url: string, user: FleetUser): Promise<string> {
  const { items } = await expectStatus<{
    items: { key: string; url: string; headers: Record<string, string> }[];
  }>(
    api(url, user, 'POST', '/api/v1/posts/photo-uploads', {
      photos: [{ contentType: 'image/png', size: PNG.length }],
    }),
    201,
  );
  const slot = items[0]!;
  const put = await fetch(`${url}${slot.url}`, {
    method: 'PUT',
    headers: slot.headers,
    body: PNG,
    signal: AbortSignal.timeout(15_000),
  });
  expect(put.status, await put.text()).toBe(201);
  return slot.key;
}

/** Waits until the fan-out job (run by the worker) wrote `count` feed entries for the post. */
export async function fannedOut(databaseUrl: string, postId: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await pollUntil(
      `${count} feed entries for post ${postId}`,
      async () => {
        const { rows } = await client.query<{ n: number }>(
          'select count(*)::int as n from feed_entries where post_id = $1',
          [postId],
        );
        return rows[0]!.n === count ? true : undefined;
      },
      30_000,
    );
  } finally {
    await client.end();
  }
}

/** `cache_requests_total` of one namespace and result, from the process' /metrics. */
export async function cacheRequests(url: string, namespace: string, result: 'hit' | 'miss'): Promise<number> {
  const { body } = await request(`${url}/metrics`);
  const line = body
    .split('\n')
    .find(
      (l) =>
        l.startsWith('cache_requests_total{') &&
        l.includes(`namespace="${namespace}"`) &&
        l.includes(`result="${result}"`),
    );
  return Number(line?.split(' ').at(-1) ?? 0);
}

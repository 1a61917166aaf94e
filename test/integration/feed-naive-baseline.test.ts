import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedPageNaive } from '../../bench/baselines/feed-naive.ts';
import { presentPost } from '../../src/modules/social/social.presenter.ts';
import { newRequestContext, requestContext } from '../../src/platform/observability/request-context.ts';
import { decodeCursor } from '../../src/platform/pagination.ts';
import { registerUser, statementsOf } from '../harness/library.ts';
import { call, connect, createTag, ok, post, setTags, settleFeeds, type User } from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The N+1 feed of the benchmark (bench/baselines/feed-naive.ts) answers what GET /api/v1/feed answers, page by
// page, while its statement count grows with the page and the route's stays 4.
let t: TestApp;
let viewer: User;
let stranger: User;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });
  await t.deps.startBackground({ workers: true });
  viewer = await registerUser(t);
  const close = await registerUser(t);
  const colleague = await registerUser(t);
  stranger = await registerUser(t);
  for (const author of [close, colleague]) await connect(t, author, viewer);
  const inner = await createTag(t, close, 'inner');
  const outer = await createTag(t, colleague, 'outer');
  await setTags(t, close, viewer, [inner]);
  // 45 posts the viewer sees (some tagged for them), 10 tagged for others, 5 by a stranger; comments on some.
  for (let i = 0; i < 15; i++) {
    const all = await post(t, close, `close all ${i}`);
    await post(t, close, `close inner ${i}`, [inner]);
    const work = await post(t, colleague, `colleague all ${i}`);
    if (i % 3 === 0) await post(t, colleague, `colleague outer ${i}`, [outer]);
    if (i % 3 === 1) await post(t, stranger, `stranger ${i}`);
    if (i % 2 === 0) await comment(viewer, all.id, `viewer on ${i}`);
    if (i % 3 === 0) await comment(close, all.id, `close on ${i}`);
    if (i % 4 === 1) await comment(colleague, work.id, `colleague on ${i}`);
  }
  await settleFeeds(t);
}, 180_000);
afterAll(() => t.close());

async function comment(author: User, postId: string, body: string): Promise<void> {
  await ok(call(t, author, 'POST', `/api/v1/posts/${postId}/comments`, { body }), 201);
}

interface Page {
  items: unknown[];
  nextCursor: string | null;
}

async function optimised(limit: number, cursor?: string) {
  const res = await call(t, viewer, 'GET', `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return { page: res.json<Page>(), statements: statementsOf(res) };
}

/** The naive page as the baseline server presents it, with the statements it ran. */
async function naive(limit: number, cursor?: string) {
  const context = newRequestContext('baseline');
  const posts = await requestContext.run(context, () =>
    feedPageNaive(t.deps.database.db, t.deps.storage, {
      id: viewer.id,
      limit,
      after: decodeCursor(cursor),
      photoUrlTtlSeconds: t.deps.config.social.photoUrlTtlSeconds,
    }),
  );
  // through JSON, as the route sends it
  const items = JSON.parse(JSON.stringify(posts.map((p) => presentPost(viewer.id, p)))) as unknown[];
  return { items, statements: context.db.statements };
}

describe('the N+1 feed baseline', () => {
  it('answers the same items as the feed route, page after page by the same cursors', async () => {
    let cursor: string | undefined;
    let pages = 0;
    let seen = 0;
    do {
      const { page } = await optimised(20, cursor);
      expect((await naive(20, cursor)).items).toEqual(page.items);
      seen += page.items.length;
      pages++;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toBe(45);
  });

  it('runs 1 + 4 statements per post, while the route runs 4 whatever the page size', async () => {
    for (const limit of [5, 20]) {
      const route = await optimised(limit);
      const baseline = await naive(limit);
      expect(baseline.items).toEqual(route.page.items);
      expect(route.statements).toBe(4);
      expect(baseline.statements).toBe(1 + 4 * limit);
    }
  });

  it('answers an author without connections their own posts, as the route does', async () => {
    const context = newRequestContext('baseline');
    const posts = await requestContext.run(context, () =>
      feedPageNaive(t.deps.database.db, t.deps.storage, {
        id: stranger.id,
        limit: 20,
        photoUrlTtlSeconds: t.deps.config.social.photoUrlTtlSeconds,
      }),
    );
    const route = await ok<Page>(call(t, stranger, 'GET', '/api/v1/feed?limit=20'));
    expect(posts.map((p) => p.id)).toEqual((route.items as { id: string }[]).map((i) => i.id));
  });
});

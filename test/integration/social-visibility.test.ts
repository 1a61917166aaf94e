import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../harness/library.ts';
import {
  call,
  connect,
  createTag,
  ok,
  post,
  setTags,
  settleFeeds,
  type FeedPage,
  type User,
} from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Who sees a restricted post: exactly its author and the connections holding one of its tags — in the feed, the
// post, its comments — and a canary in it never reaches anyone else, even right after a privacy change with
// every cache warm.
let t: TestApp;
let author: User;
let tagged: User;
let untagged: User;
let stranger: User;
let blocked: User;
let closeTag: string;
let restricted: string;
let open: string;
const CANARY = `canary-${Date.now()}-restricted`;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });
  await t.deps.startBackground({ workers: true });
  author = await registerUser(t);
  tagged = await registerUser(t);
  untagged = await registerUser(t);
  stranger = await registerUser(t);
  blocked = await registerUser(t);
  for (const peer of [tagged, untagged, blocked]) await connect(t, author, peer);
  closeTag = await createTag(t, author, 'close');
  await setTags(t, author, tagged, [closeTag]);
  await setTags(t, author, blocked, [closeTag]);
  open = (await post(t, author, 'hello everyone')).id;
  restricted = (await post(t, author, `for close friends only: ${CANARY}`, [closeTag])).id;
  await ok(call(t, tagged, 'POST', `/api/v1/posts/${restricted}/comments`, { body: 'a comment' }), 201);
  await settleFeeds(t);
  await ok(call(t, author, 'POST', '/api/v1/blocks', { userId: blocked.id }), 204);
  await settleFeeds(t);
});
afterAll(() => t.close());

type Viewer = 'author' | 'tagged' | 'untagged' | 'stranger' | 'blocked' | 'anonymous';
const viewers: Viewer[] = ['author', 'tagged', 'untagged', 'stranger', 'blocked', 'anonymous'];
const userOf = (v: Viewer): User | undefined =>
  ({ author, tagged, untagged, stranger, blocked, anonymous: undefined })[v];

/** Every read a viewer can make of the two posts, with the bodies answered. */
async function reads(viewer: User | undefined) {
  const feed = await call(t, viewer, 'GET', '/api/v1/feed');
  const restrictedPost = await call(t, viewer, 'GET', `/api/v1/posts/${restricted}`);
  const openPost = await call(t, viewer, 'GET', `/api/v1/posts/${open}`);
  const comments = await call(t, viewer, 'GET', `/api/v1/posts/${restricted}/comments`);
  return { feed, restrictedPost, openPost, comments };
}

function feedIds(res: { statusCode: number; body: string }): string[] | number {
  return res.statusCode === 200 ? (JSON.parse(res.body) as FeedPage).items.map((i) => i.id) : res.statusCode;
}

describe('the visibility matrix', () => {
  const expected: Record<Viewer, { feed: string[] | number; post: number; open: number; comments: number }> =
    {
      author: { feed: ['restricted', 'open'], post: 200, open: 200, comments: 200 },
      tagged: { feed: ['restricted', 'open'], post: 200, open: 200, comments: 200 },
      untagged: { feed: ['open'], post: 404, open: 200, comments: 404 },
      stranger: { feed: [], post: 404, open: 404, comments: 404 },
      blocked: { feed: [], post: 404, open: 404, comments: 404 },
      anonymous: { feed: 401, post: 401, open: 401, comments: 401 },
    };

  it.each(viewers)('%s sees exactly what the audience allows', async (viewer) => {
    const names = (ids: string[] | number) =>
      typeof ids === 'number' ? ids : ids.map((id) => (id === restricted ? 'restricted' : 'open'));
    const r = await reads(userOf(viewer));
    const want = expected[viewer];
    expect(names(feedIds(r.feed))).toEqual(want.feed);
    expect(r.restrictedPost.statusCode).toBe(want.post);
    expect(r.openPost.statusCode).toBe(want.open);
    expect(r.comments.statusCode).toBe(want.comments);
    const create = await call(t, userOf(viewer), 'POST', `/api/v1/posts/${restricted}/comments`, {
      body: `from ${viewer}`,
    });
    expect(create.statusCode).toBe(want.post === 200 ? 201 : want.post);
    if (want.post !== 200) {
      for (const res of [r.feed, r.restrictedPost, r.openPost, r.comments, create])
        expect(res.body).not.toContain(CANARY);
      // Hidden answers the same 404 as missing.
      if (want.post === 404) expect(r.restrictedPost.json().code).toBe('SOCIAL_POST_NOT_FOUND');
    } else {
      expect(r.restrictedPost.body).toContain(CANARY);
    }
  });
});

describe('privacy changes with warm caches', () => {
  /** Reads everything once so caches are warm, applies the change, and reads again at once. */
  async function afterChange(viewer: User, change: () => Promise<void>, feedAfter: string[] = []) {
    const before = await reads(viewer);
    expect(before.feed.body).toContain(CANARY);
    await change();
    const after = await reads(viewer);
    for (const res of Object.values(after)) expect(res.body).not.toContain(CANARY);
    expect(feedIds(after.feed)).toEqual(feedAfter);
  }

  async function restore() {
    await settleFeeds(t);
    const again = await reads(tagged);
    expect(again.feed.body).toContain(CANARY);
  }

  it('hides the post as soon as the tag is removed from the connection', async () => {
    await afterChange(tagged, () => setTags(t, author, tagged, []), [open]);
    await settleFeeds(t);
    expect(feedIds((await reads(tagged)).feed)).toEqual([open]);
    await setTags(t, author, tagged, [closeTag]);
    await restore();
  });

  it('hides every post of the author as soon as they disconnect', async () => {
    await afterChange(tagged, () => ok(call(t, author, 'DELETE', `/api/v1/connections/${tagged.id}`), 204));
    await settleFeeds(t);
    expect(feedIds((await reads(tagged)).feed)).toEqual([]);
    await connect(t, tagged, author);
    await setTags(t, author, tagged, [closeTag]);
    await restore();
  });

  it('hides every post of the author as soon as they block, both ways', async () => {
    const own = await post(t, tagged, 'tagged speaks');
    await settleFeeds(t);
    await afterChange(
      tagged,
      () => ok(call(t, author, 'POST', '/api/v1/blocks', { userId: tagged.id }), 204),
      [own.id],
    );
    const authorFeed = await ok<FeedPage>(call(t, author, 'GET', '/api/v1/feed'));
    expect(authorFeed.items.map((i) => i.author.id)).not.toContain(tagged.id);
  });

  it('hides a deleted post from every feed at once', async () => {
    await ok(call(t, untagged, 'GET', '/api/v1/feed'));
    await ok(call(t, author, 'DELETE', `/api/v1/posts/${open}`), 204);
    expect(feedIds(await call(t, untagged, 'GET', '/api/v1/feed'))).toEqual([]);
    expect((await call(t, untagged, 'GET', `/api/v1/posts/${open}`)).statusCode).toBe(404);
  });
});

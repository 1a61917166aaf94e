import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, statementsOf } from '../harness/library.ts';
import {
  call,
  connect,
  createTag,
  ok,
  post,
  referenceFeed,
  setTags,
  settleFeeds,
  wholeFeed,
  type FeedPage,
  type User,
} from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { createFanOut, createFanOutRepository, createFeedCache } from '../../src/modules/social/index.ts';

// The feed: exactly 4 statements per page at any size (auth lookup included), +2 per refill round, keyset
// paging without duplicates or gaps while others post, and fan-out that always equals the reference join.
let t: TestApp;
let viewer: User;
let close: User;
let colleague: User;
let friend: User;
let stranger: User;
let innerTag: string;
let workTag: string;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });
  await t.deps.startBackground({ workers: true });
  viewer = await registerUser(t);
  close = await registerUser(t);
  colleague = await registerUser(t);
  friend = await registerUser(t);
  stranger = await registerUser(t);
  for (const author of [close, colleague, friend]) await connect(t, author, viewer);
  innerTag = await createTag(t, close, 'inner');
  workTag = await createTag(t, colleague, 'work');
  await setTags(t, close, viewer, [innerTag]);
  // Visible and invisible posts interleaved: 130 the viewer may see, 40 they may not.
  for (let i = 0; i < 40; i++) {
    await post(t, close, `close all ${i}`);
    if (i % 2 === 0) await post(t, close, `close inner ${i}`, [innerTag]);
    await post(t, colleague, `colleague all ${i}`);
    if (i % 4 !== 3) await post(t, colleague, `colleague work ${i}`, [workTag]);
    if (i % 4 === 0) await post(t, stranger, `stranger ${i}`);
    if (i < 30) await post(t, friend, `friend ${i}`);
  }
  await settleFeeds(t);
}, 180_000);
afterAll(() => t.close());

const feedUrl = (limit: number, cursor?: string | null) =>
  `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;

async function feedPage(user: User, limit: number, cursor?: string | null) {
  const res = await call(t, user, 'GET', feedUrl(limit, cursor));
  expect(res.statusCode, res.body).toBe(200);
  return { page: res.json<FeedPage>(), statements: statementsOf(res) };
}

describe('statements per feed page', () => {
  it('is 4 at limits 5, 20 and 100 — first page uncached and cached, and a later page — with full pages', async () => {
    const reference = await referenceFeed(t, viewer.id);
    expect(reference.length).toBe(130);
    // The authentication lookup is part of every count: warm the user cache as any session would.
    await ok(call(t, viewer, 'GET', '/api/v1/audience-tags'));
    for (const limit of [5, 20, 100]) {
      const first = await feedPage(viewer, limit);
      const cached = await feedPage(viewer, limit);
      const next = await feedPage(viewer, limit, first.page.nextCursor);
      for (const { statements } of [first, cached, next]) expect(statements).toBe(4);
      expect(first.page.items.map((i) => i.id)).toEqual(reference.slice(0, limit));
      expect(cached.page.items.map((i) => i.id)).toEqual(reference.slice(0, limit));
      expect(next.page.items.map((i) => i.id)).toEqual(reference.slice(limit, 2 * limit));
    }
  });

  it('adds exactly 2 statements per refill round when the re-check drops entries a lagging job left', async () => {
    const [reader, writer] = await Promise.all([registerUser(t), registerUser(t)]);
    await connect(t, writer, reader);
    const tag = await createTag(t, writer, 'secret');
    await setTags(t, writer, reader, [tag]);
    // Oldest first; the feed reads newest first: 1 visible, 6 tagged, 10 visible.
    for (let i = 0; i < 10; i++) await post(t, writer, `old ${i}`);
    const tagged: string[] = [];
    for (let i = 0; i < 6; i++) tagged.push((await post(t, writer, `tagged ${i}`, [tag])).id);
    await post(t, writer, 'newest');
    await settleFeeds(t);
    await ok(call(t, reader, 'GET', '/api/v1/audience-tags'));
    // The tag leaves the connection without its event: the entries stay, as if the job were late.
    await sql`delete from connection_tags where peer_id = ${reader.id}`.execute(t.deps.database.db);

    // Round 1 scans 6 (1 visible), round 2 prunes 5 and scans 5 (4 visible), round 3 prunes 1 and scans 1.
    const refilled = await feedPage(reader, 5);
    expect(refilled.statements).toBe(4 + 2 + 2);
    expect(refilled.page.items.map((i) => i.body)).toEqual(['newest', 'old 9', 'old 8', 'old 7', 'old 6']);
    expect(refilled.page.nextCursor).not.toBeNull();
    const { rows } = await sql<{ post_id: string }>`
      select post_id from feed_entries where user_id = ${reader.id}`.execute(t.deps.database.db);
    expect(rows.map((r) => r.post_id)).not.toEqual(expect.arrayContaining([tagged[0]]));
    expect(rows).toHaveLength(11);

    // The dropped entries are gone and the page is cached: back to 4, for this size and another.
    expect((await feedPage(reader, 5)).statements).toBe(4);
    const wider = await feedPage(reader, 11);
    expect(wider.statements).toBe(4);
    expect(wider.page.items).toHaveLength(11);
    expect(wider.page.nextCursor).toBeNull();
  });

  it('adds exactly 2 for a single refill round', async () => {
    const [reader, writer] = await Promise.all([registerUser(t), registerUser(t)]);
    await connect(t, writer, reader);
    const tag = await createTag(t, writer, 'secret');
    await setTags(t, writer, reader, [tag]);
    for (let i = 0; i < 10; i++) await post(t, writer, `old ${i}`);
    for (let i = 0; i < 2; i++) await post(t, writer, `tagged ${i}`, [tag]);
    await post(t, writer, 'newest');
    await settleFeeds(t);
    await ok(call(t, reader, 'GET', '/api/v1/audience-tags'));
    await sql`delete from connection_tags where peer_id = ${reader.id}`.execute(t.deps.database.db);
    const refilled = await feedPage(reader, 5);
    expect(refilled.statements).toBe(4 + 2);
    expect(refilled.page.items.map((i) => i.body)).toEqual(['newest', 'old 9', 'old 8', 'old 7', 'old 6']);
  });
});

describe('keyset paging', () => {
  it('has no duplicates or gaps while posts are being created', async () => {
    const before = await referenceFeed(t, viewer.id);
    const writing = (async () => {
      for (let i = 0; i < 15; i++) await post(t, friend, `during paging ${i}`);
    })();
    const seen: string[] = [];
    const createdAt: string[] = [];
    let cursor: string | null = null;
    do {
      const { page } = await feedPage(viewer, 7, cursor);
      seen.push(...page.items.map((i) => i.id));
      createdAt.push(...page.items.map((i) => (i as unknown as { createdAt: string }).createdAt));
      cursor = page.nextCursor;
    } while (cursor);
    await writing;
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(before));
    expect([...createdAt].sort().reverse()).toEqual(createdAt);
    await settleFeeds(t);
  });
});

describe('fan-out', () => {
  const everyone = () => [viewer, close, colleague, friend, stranger];

  async function expectFeedsMatchReference() {
    for (const user of everyone()) expect(await wholeFeed(t, user)).toEqual(await referenceFeed(t, user.id));
  }

  it('gives every user exactly the reference join, before and after connection and tag changes', async () => {
    await expectFeedsMatchReference();
    await setTags(t, close, viewer, []);
    await setTags(t, colleague, viewer, [workTag]);
    await ok(call(t, friend, 'DELETE', `/api/v1/connections/${viewer.id}`), 204);
    await connect(t, stranger, viewer);
    await settleFeeds(t);
    await expectFeedsMatchReference();
    await connect(t, viewer, friend);
    await setTags(t, close, viewer, [innerTag]);
    await ok(call(t, viewer, 'POST', '/api/v1/blocks', { userId: colleague.id }), 204);
    await settleFeeds(t);
    await expectFeedsMatchReference();
  });

  it('skips an inactive user, who gets exactly the reference join again on return', async () => {
    // Connected to the viewer since the test above; 40 days unseen is past FEED_INACTIVE_AFTER_DAYS (30).
    await sql`update users set last_active_at = now() - interval '40 days' where id = ${stranger.id}`.execute(
      t.deps.database.db,
    );
    const whileAway = [(await post(t, viewer, 'while the stranger is away')).id];
    whileAway.push((await post(t, viewer, 'still away')).id);
    await settleFeeds(t);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from feed_entries
      where user_id = ${stranger.id} and post_id in (${sql.join(whileAway)})`.execute(t.deps.database.db);
    expect(rows[0]!.n).toBe(0);
    expect(await referenceFeed(t, stranger.id)).toEqual(expect.arrayContaining(whileAway));
    // New posts reach a cached first page on its expiry (or by the hint): read past the caches.
    const feedCache = createFeedCache(t.deps.cache);
    await feedCache.forget(everyone().map((u) => u.id));
    await expectFeedsMatchReference();
    await post(t, viewer, 'after the return');
    await settleFeeds(t);
    await feedCache.forget(everyone().map((u) => u.id));
    await expectFeedsMatchReference();
  });

  it('fans out in chunks of connections, each chunk one statement, reaching exactly the audience', async () => {
    const hub = await registerUser(t);
    const peers: User[] = [];
    for (let i = 0; i < 7; i++) {
      const peer = await registerUser(t);
      await connect(t, hub, peer);
      peers.push(peer);
    }
    const tag = await createTag(t, hub, 'some');
    for (const peer of peers.slice(0, 3)) await setTags(t, hub, peer, [tag]);
    await settleFeeds(t);
    // Written straight to the tables, so no post.created job races the chunked run below.
    const postId = uuidv7();
    await t.deps.database.db
      .insertInto('posts')
      .values({ id: postId, author_id: hub.id, body: 'chunked', audience: 'tags' })
      .execute();
    await t.deps.database.db
      .insertInto('post_audience_tags')
      .values({ post_id: postId, tag_id: tag })
      .execute();
    const fanOut = createFanOut({
      repository: createFanOutRepository(t.deps.database),
      feedCache: createFeedCache(t.deps.cache),
      transaction: (work) => t.deps.database.transaction(work),
      markActive: (userId) => t.deps.users.markActive(userId),
      hint: () => undefined,
      chunkSize: 2,
      backfillPosts: 500,
      inactiveAfterDays: 30,
    });
    expect(await fanOut.fanOut({ postId })).toBe('done');
    expect(await fanOut.fanOut({ postId })).toBe('done');
    const { rows } = await sql<{ user_id: string }>`
      select user_id from feed_entries where post_id = ${postId} order by user_id`.execute(
      t.deps.database.db,
    );
    expect(rows.map((r) => r.user_id)).toEqual([hub.id, ...peers.slice(0, 3).map((p) => p.id)].sort());
    for (const user of [hub, ...peers])
      expect(await wholeFeed(t, user)).toEqual(await referenceFeed(t, user.id));
    await t.deps.database.db.deleteFrom('posts').where('id', '=', postId).execute();
    expect(await fanOut.fanOut({ postId })).toBe('skipped');
  });
});

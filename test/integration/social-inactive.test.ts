import { sql } from 'kysely';
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

// Feeds whose inbox is incomplete: pages older than a connection's backfill, and users fan-out skipped while they
// were inactive, rebuilt on return. A small backfill makes both reach the pull query within a few posts.
const BACKFILL = 4;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20', FEED_BACKFILL: String(BACKFILL) });
  await t.deps.startBackground({ workers: true });
}, 60_000);
afterAll(() => t.close());

async function feedPage(user: User, limit: number, cursor?: string | null) {
  const res = await call(t, user, 'GET', `/api/v1/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return { page: res.json<FeedPage>(), statements: statementsOf(res) };
}

async function entriesOf(userId: string): Promise<string[]> {
  const { rows } = await sql<{ post_id: string }>`
    select post_id from feed_entries where user_id = ${userId}
    order by created_at desc, post_id desc`.execute(t.deps.database.db);
  return rows.map((r) => r.post_id);
}

async function inboxMark(userId: string) {
  const { rows } = await sql<{ skipped: boolean }>`
    select complete_after_at = 'infinity' as skipped from feed_inboxes where user_id = ${userId}`.execute(
    t.deps.database.db,
  );
  return rows[0];
}

/** As if the user had not been seen for 40 days (FEED_INACTIVE_AFTER_DAYS is 30). */
async function makeInactive(user: User): Promise<void> {
  await sql`update users set last_active_at = now() - interval '40 days' where id = ${user.id}`.execute(
    t.deps.database.db,
  );
}

/** Pages through the feed `limit` at a time: the ids, and the statement count of every page. */
async function pagedFeed(user: User, limit: number) {
  const ids: string[] = [];
  const statements: number[] = [];
  let cursor: string | null = null;
  do {
    const next = await feedPage(user, limit, cursor);
    statements.push(next.statements);
    ids.push(...next.page.items.map((i) => i.id));
    cursor = next.page.nextCursor;
  } while (cursor);
  return { ids, statements };
}

/**
 * Statements per page of a feed of `total` posts whose inbox holds the newest `inInbox` above its mark: 4 while the
 * inbox fills the page and the one after it, 5 once the pull query has to go on below the mark.
 */
function statementsPerPage(total: number, limit: number, inInbox: number): number[] {
  const pages: number[] = [];
  for (let offset = 0; offset < total; offset += limit) pages.push(inInbox - offset >= limit + 1 ? 4 : 5);
  return pages;
}

/** An author with `count` posts, every third one tagged for a tag the reader does not hold. */
async function prolificAuthor(count: number) {
  const author = await registerUser(t);
  const hidden = await createTag(t, author, 'hidden');
  for (let i = 0; i < count; i++) await post(t, author, `post ${i}`, i % 3 === 2 ? [hidden] : ['all']);
  return author;
}

describe('pages older than the backfill', () => {
  it('come from the pull query, one statement more, so the feed equals the reference join', async () => {
    const author = await prolificAuthor(15);
    const reader = await registerUser(t);
    await post(t, reader, 'my own, older than the connection');
    await settleFeeds(t);
    await connect(t, author, reader);
    await settleFeeds(t);
    const reference = await referenceFeed(t, reader.id);
    expect(reference).toHaveLength(11);
    // The backfill took the author's 4 newest posts, 2 of them visible; the inbox is complete only above the 5th.
    expect(await entriesOf(reader.id)).toHaveLength(2 + 1);
    expect(await inboxMark(reader.id)).toEqual({ skipped: false });

    await ok(call(t, reader, 'GET', '/api/v1/audience-tags'));
    for (const limit of [2, 3, 5, 100]) {
      const paged = await pagedFeed(reader, limit);
      expect(paged.ids).toEqual(reference);
      expect(paged.statements).toEqual(statementsPerPage(11, limit, 3));
    }
    expect(await wholeFeed(t, reader)).toEqual(reference);
  });

  it('stay complete as new posts arrive above the backfill, and for the author', async () => {
    const author = await prolificAuthor(9);
    const reader = await registerUser(t);
    await connect(t, author, reader);
    await settleFeeds(t);
    for (let i = 0; i < 3; i++) await post(t, author, `newer ${i}`);
    await settleFeeds(t);
    // The reader's inbox holds the 3 new posts and 2 of the 4 backfilled; the author's inbox is complete.
    const reference = await referenceFeed(t, reader.id);
    const paged = await pagedFeed(reader, 2);
    expect(paged.ids).toEqual(reference);
    expect(paged.statements).toEqual(statementsPerPage(reference.length, 2, 5));
    const own = await pagedFeed(author, 2);
    expect(own.ids).toEqual(await referenceFeed(t, author.id));
    expect(new Set(own.statements)).toEqual(new Set([4]));
  });
});

describe('inactive users', () => {
  it('are skipped by fan-out, and on return get their inbox rebuilt without a gap', async () => {
    const [away, present] = await Promise.all([registerUser(t), registerUser(t)]);
    const friend = await prolificAuthor(6);
    const colleague = await registerUser(t);
    for (const author of [friend, colleague]) {
      await connect(t, author, away);
      await connect(t, author, present);
    }
    const work = await createTag(t, colleague, 'work');
    await setTags(t, colleague, present, [work]);
    await post(t, away, 'before leaving');
    await settleFeeds(t);
    await ok(call(t, away, 'GET', '/api/v1/audience-tags'));
    await makeInactive(away);
    const entriesBefore = await entriesOf(away.id);

    const whileAway: string[] = [];
    for (let i = 0; i < 5; i++) {
      whileAway.push((await post(t, friend, `while away ${i}`)).id);
      whileAway.push((await post(t, colleague, `while away ${i}`)).id);
      await post(t, colleague, `work only ${i}`, [work]);
    }
    await settleFeeds(t);
    // Not one entry for the inactive user; the active one got theirs.
    expect(await entriesOf(away.id)).toEqual(entriesBefore);
    expect(await inboxMark(away.id)).toEqual({ skipped: true });
    expect(await entriesOf(present.id)).toEqual(expect.arrayContaining(whileAway));

    // Return: the first read finds the mark and is pulled (5), and rebuilds the inbox (mark active; begin, lock,
    // rebuild, commit).
    const reference = await referenceFeed(t, away.id);
    expect(reference).toEqual(expect.arrayContaining(whileAway));
    const first = await feedPage(away, 3);
    expect(first.statements).toBe(5 + 5);
    expect(first.page.items.map((i) => i.id)).toEqual(reference.slice(0, 3));
    expect(await inboxMark(away.id)).toEqual({ skipped: false });
    expect(await entriesOf(away.id)).toEqual(expect.arrayContaining(reference.slice(0, BACKFILL)));
    const { rows } = await sql<{ recent: boolean }>`
      select last_active_at > now() - interval '1 minute' as recent from users where id = ${away.id}`.execute(
      t.deps.database.db,
    );
    expect(rows[0]!.recent).toBe(true);

    // From then on the inbox holds the newest BACKFILL posts and the pull query the rest: the reference join.
    for (const limit of [2, 3, 7, 100]) {
      const paged = await pagedFeed(away, limit);
      expect(paged.ids).toEqual(reference);
      expect(paged.statements).toEqual(statementsPerPage(reference.length, limit, BACKFILL));
    }

    // Active again: fan-out reaches them, and their feed stays exact.
    const after = await post(t, colleague, 'after the return');
    await settleFeeds(t);
    expect(await entriesOf(away.id)).toContain(after.id);
    for (const user of [away, present, friend, colleague]) {
      expect(await wholeFeed(t, user, 3)).toEqual(await referenceFeed(t, user.id));
    }
  });

  it('that see nothing new are not rebuilt, and a user whose inbox holds everything is not marked', async () => {
    const [quiet, author] = await Promise.all([registerUser(t), registerUser(t)]);
    await connect(t, author, quiet);
    const tag = await createTag(t, author, 'inner');
    await post(t, author, 'for everyone');
    await settleFeeds(t);
    await ok(call(t, quiet, 'GET', '/api/v1/audience-tags'));
    await makeInactive(quiet);
    await post(t, author, 'not for quiet', [tag]);
    await settleFeeds(t);
    expect(await inboxMark(quiet.id)).toBeUndefined();
    const page = await feedPage(quiet, 5);
    expect(page.statements).toBe(4);
    expect(page.page.items.map((i) => i.id)).toEqual(await referenceFeed(t, quiet.id));
  });
});

describe('activity', () => {
  it('is marked when authentication is looked up in SQL, at most once an hour', async () => {
    const user = await registerUser(t);
    const activeAt = async () =>
      (
        await sql<{ at: Date }>`select last_active_at as at from users where id = ${user.id}`.execute(
          t.deps.database.db,
        )
      ).rows[0]!.at;
    const request = async () => {
      await t.deps.cache.delete('user', user.id);
      await ok(call(t, user, 'GET', '/api/v1/audience-tags'));
    };
    await sql`update users set last_active_at = now() - interval '30 minutes' where id = ${user.id}`.execute(
      t.deps.database.db,
    );
    const recent = await activeAt();
    await request();
    expect(await activeAt()).toEqual(recent);
    await sql`update users set last_active_at = now() - interval '2 hours' where id = ${user.id}`.execute(
      t.deps.database.db,
    );
    await request();
    expect((await activeAt()).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

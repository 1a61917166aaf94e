import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-server.ts';
import { registerUser, statementsOf } from '../harness/library.ts';
import { call, connect, createTag, ok, post, setTags, settleFeeds, type User } from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The digest: posts of connections the reader may see, grouped by author with counts, the most commented posts,
// and a summary (extractive without an AI endpoint); a constant 3 statements per request; the daily job delivers
// once per reader and day; posts outside the reader's audience never appear.
interface DigestBody {
  since: string;
  until: string;
  postCount: number;
  authors: { author: { id: string }; postCount: number; commentCount: number; recentPostIds: string[] }[];
  topPosts: { id: string; commentCount: number; author: { id: string }; photos: unknown[] }[];
  summary: { text: string; engine: string; notice: string | null } | null;
}

const CANARY = `canary-${Date.now()}-digest`;
let t: TestApp;
let reader: User;
let friends: User[];
let stranger: User;
let restrictedPostId: string;
const since = new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });
  await t.deps.startBackground({ workers: true });
  reader = await registerUser(t);
  friends = [await registerUser(t), await registerUser(t), await registerUser(t)];
  stranger = await registerUser(t);
  for (const friend of friends) await connect(t, friend, reader);
  // friends[0]: 3 posts, friends[1]: 2, friends[2]: 1; comments make the order of the top posts.
  const ids: string[] = [];
  for (const [i, friend] of friends.entries()) {
    for (let n = 0; n < 3 - i; n++) {
      ids.push(
        (await post(t, friend, `Friend ${i} writes about gardening, post ${n}. Tomatoes grow well.`)).id,
      );
    }
  }
  for (const [postId, comments] of [
    [ids[4]!, 3],
    [ids[1]!, 2],
    [ids[5]!, 1],
  ] as const) {
    for (let c = 0; c < comments; c++) {
      await ok(call(t, reader, 'POST', `/api/v1/posts/${postId}/comments`, { body: `comment ${c}` }), 201);
    }
  }
  // Never in the reader's digest: a stranger's post, a post for a tag the reader lacks, the reader's own.
  await post(t, stranger, `A stranger's post: ${CANARY}`);
  const inner = await createTag(t, friends[0]!, 'inner');
  await connect(t, friends[0]!, friends[1]!);
  await setTags(t, friends[0]!, friends[1]!, [inner]);
  restrictedPostId = (await post(t, friends[0]!, `For the inner circle only: ${CANARY}`, [inner])).id;
  await post(t, reader, 'My own post is not in my digest.');
  await settleFeeds(t);
});
afterAll(() => t.close());

const digestOf = (user: User | undefined, query = `?since=${encodeURIComponent(since)}`) =>
  call(t, user, 'GET', `/api/v1/digest${query}`);

/** The straightforward answer: visible posts of connections since `from`, per author, with comment counts. */
async function reference(viewerId: string, from: string) {
  const { rows } = await sql<{ author_id: string; post_count: number; comment_count: number }>`
    select p.author_id, count(*)::int as post_count, coalesce(sum(cc.n), 0)::int as comment_count
    from posts p
    left join (select post_id, count(*) as n from comments group by post_id) cc on cc.post_id = p.id
    join connections k on k.user_id = p.author_id and k.peer_id = ${viewerId} and k.status = 'accepted'
    where p.created_at > ${new Date(from)}
      and (p.audience = 'all' or exists (
        select 1 from post_audience_tags pat join connection_tags ct on ct.tag_id = pat.tag_id
        where pat.post_id = p.id and ct.owner_id = p.author_id and ct.peer_id = ${viewerId}))
    group by p.author_id
    order by count(*) desc`.execute(t.deps.database.db);
  return rows;
}

describe('the digest', () => {
  it('groups posts of connections by author with counts, equal to the reference query', async () => {
    const digest = await ok<DigestBody>(digestOf(reader));
    expect(digest.postCount).toBe(6);
    const expected = await reference(reader.id, since);
    expect(
      digest.authors.map((a) => ({
        author_id: a.author.id,
        post_count: a.postCount,
        comment_count: a.commentCount,
      })),
    ).toEqual(expected);
    expect(digest.authors.map((a) => a.author.id)).toEqual(friends.map((f) => f.id));
    expect(digest.authors.map((a) => a.recentPostIds.length)).toEqual([3, 2, 1]);
  });

  it('lists the most commented posts first, newest first among equals', async () => {
    const digest = await ok<DigestBody>(digestOf(reader));
    const { rows } = await sql<{ id: string; n: number }>`
      select p.id, (select count(*)::int from comments c where c.post_id = p.id) as n
      from posts p where p.author_id in (${sql.join(friends.map((f) => f.id))}) and p.audience = 'all'
      order by n desc, p.created_at desc, p.id desc limit 5`.execute(t.deps.database.db);
    expect(digest.topPosts.map((p) => [p.id, p.commentCount])).toEqual(rows.map((r) => [r.id, r.n]));
    expect(digest.topPosts[0]!.commentCount).toBe(3);
  });

  it('summarizes extractively without an AI endpoint, and says so', async () => {
    const { summary } = await ok<DigestBody>(digestOf(reader));
    expect(summary).toMatchObject({ engine: 'extractive' });
    expect(summary!.notice).toMatch(/Extractive summary.*No AI model is configured/);
    expect(summary!.text).toMatch(/gardening|Tomatoes/);
  });

  it('never shows a non-connection’s post or one outside the reader’s audience', async () => {
    const res = await digestOf(reader);
    expect(res.body).not.toContain(CANARY);
    expect(res.body).not.toContain(restrictedPostId);
    expect(res.body).not.toContain('My own post');
    // The tagged connection sees the restricted post; the stranger's digest has no connections' posts at all.
    const tagged = await ok<DigestBody>(digestOf(friends[1]));
    expect(tagged.topPosts.map((p) => p.id)).toContain(restrictedPostId);
    const strangers = await ok<DigestBody>(digestOf(stranger));
    expect([strangers.postCount, strangers.summary, strangers.topPosts]).toEqual([0, null, []]);
    expect(JSON.stringify(strangers)).not.toContain(CANARY);
  });

  it('answers 401 without a token and 400 for a `since` that is not a timestamp', async () => {
    expect((await digestOf(undefined)).statusCode).toBe(401);
    expect((await digestOf(reader, '?since=yesterday')).statusCode).toBe(400);
  });
});

describe('statements per digest', () => {
  it('is exactly 3 at 5, 20 and 50 posts', async () => {
    const viewer = await registerUser(t);
    const poster = await registerUser(t);
    await connect(t, poster, viewer);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await post(t, poster, `Post number ${i} about the weather.`)).id);
    // One minute apart, newest last, so a `since` selects exactly the newest N.
    await sql`
      update posts set created_at = now() - (interval '1 minute' * (50 - ord))
      from unnest(${ids}::uuid[]) with ordinality as o(id, ord) where posts.id = o.id`.execute(
      t.deps.database.db,
    );
    for (const size of [5, 20, 50]) {
      const from = new Date(Date.now() - (size - 0.5) * 60_000).toISOString();
      const res = await digestOf(viewer, `?since=${encodeURIComponent(from)}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<DigestBody>().postCount).toBe(size);
      expect(statementsOf(res)).toBe(3);
    }
  });
});

describe('the daily job', () => {
  it('records one delivery per reader and day, however often it runs', async () => {
    await t.deps.queue.enqueue('social.digest', {}, { jobId: 'digest-test-1' });
    await settleFeeds(t);
    await t.deps.queue.enqueue('social.digest', {}, { jobId: 'digest-test-2' });
    await settleFeeds(t);
    expect(await t.deps.social.digest.deliverDaily()).toBe('skipped');
    const { rows } = await sql<{ user_id: string; n: number }>`
      select user_id, count(*)::int as n from digest_deliveries group by user_id`.execute(t.deps.database.db);
    const counts = new Map(rows.map((r) => [r.user_id, r.n]));
    expect(counts.get(reader.id)).toBe(1);
    expect(counts.get(stranger.id)).toBeUndefined(); // no connections' posts, no digest
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    // Without `since`, a read starts where the delivered digest did.
    const delivered = await sql<{ since: Date }>`
      select since from digest_deliveries where user_id = ${reader.id}`.execute(t.deps.database.db);
    const digest = await ok<DigestBody>(digestOf(reader, ''));
    expect(digest.since).toBe(delivered.rows[0]!.since.toISOString());
    expect(digest.postCount).toBe(6);
  });
});

describe('the summary with an AI endpoint', () => {
  let fake: FakeOpenAi;
  let ai: TestApp;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    ai = await createTestApp({ RATE_LIMIT: 'off', AI_BASE_URL: fake.url, VECTOR_SEARCH: 'off' });
  });
  afterAll(async () => {
    await ai.close();
    await fake.close();
  });

  it('asks the model (task digest, charged to the reader), caches by input, and falls back when it fails', async () => {
    const [a, b] = [await registerUser(ai), await registerUser(ai)];
    await ok(call(ai, a, 'POST', '/api/v1/connections', { userId: b.id }), 201);
    await ok(call(ai, b, 'POST', `/api/v1/connections/${a.id}/accept`));
    await ok(
      call(ai, a, 'POST', '/api/v1/posts', { body: 'We hiked the ridge today.', audience: ['all'] }),
      201,
    );
    fake.reply('Your friend went hiking.');
    const digest = (user: User) =>
      ok<DigestBody>(call(ai, user, 'GET', `/api/v1/digest?since=${encodeURIComponent(since)}`));

    expect((await digest(b)).summary).toEqual({
      text: 'Your friend went hiking.',
      engine: 'llm',
      notice: null,
    });
    const chats = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chats()).toHaveLength(1);
    expect(chats()[0]!.body.messages!.at(-1)!.content).toContain('We hiked the ridge today.');
    await expect.poll(async () => (await ai.deps.budget.status(b.id)).used).toBeGreaterThan(0);
    const tokens = await ai.deps.metrics.aiTokens.get();
    expect(tokens.values.some((v) => v.labels.task === 'digest' && v.value > 0)).toBe(true);

    expect((await digest(b)).summary!.engine).toBe('llm');
    expect(chats()).toHaveLength(1); // same input: the cached summary

    await ok(call(ai, a, 'POST', '/api/v1/posts', { body: 'The lake was cold.', audience: ['all'] }), 201);
    fake.fail('500', 5);
    const fallback = (await digest(b)).summary!;
    expect(fallback.engine).toBe('extractive');
    expect(fallback.notice).toMatch(/unavailable/);
  });
});

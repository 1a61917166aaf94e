import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLibraryNaive } from '../../bench/baselines/library-list.ts';
import { newRequestContext, requestContext } from '../../src/platform/observability/request-context.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { get, registerUser, statementsOf } from '../harness/library.ts';

// The library list: one statement per page whatever its size, keyset and offset paging, filters, fields.
let t: TestApp;
let owner: { id: string; token: string };
const TOTAL = 130;

beforeAll(async () => {
  t = await createTestApp({ CACHE: 'off' });
  owner = await registerUser(t);
  await insertDocuments(owner.id, TOTAL);
});
afterAll(() => t.close());

/** Rows straight into the tables (no processing needed to list them), each with two tags. */
async function insertDocuments(ownerId: string, count: number, kind: 'document' | 'story' = 'document') {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    owner_id: ownerId,
    kind,
    title: `Document ${i} ${randomBytes(3).toString('hex')}`,
    file_name: null,
    mime: 'text/plain',
    byte_size: 10,
    sha256: randomBytes(32).toString('hex'),
    blob_key: `documents/${uuidv7()}`,
  }));
  await t.deps.database.db.insertInto('documents').values(rows).execute();
  await t.deps.database.db
    .insertInto('document_tags')
    .values(
      rows.flatMap((r, i) => [
        { document_id: r.id, tag: `tag-${i % 3}` },
        { document_id: r.id, tag: 'all' },
      ]),
    )
    .execute();
  return rows.map((r) => r.id);
}

interface Page {
  items: { id: string; title?: string; tags?: string[]; status?: string }[];
  nextCursor: string | null;
}

async function allPages(token: string, query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(t, token, `/api/v1/documents?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<Page>();
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe('library list', () => {
  it('answers a page of 10 or of 100, tags included, with the same number of statements', async () => {
    const counts: number[] = [];
    for (const limit of [10, 100]) {
      const res = await get(t, owner.token, `/api/v1/documents?limit=${limit}`);
      const page = res.json<Page>();
      expect(page.items).toHaveLength(limit);
      expect(page.items.every((i) => i.tags?.includes('all'))).toBe(true);
      counts.push(statementsOf(res));
    }
    expect(counts[0]).toBe(counts[1]);
    // The authentication lookup and the page itself (tags aggregated in the same statement).
    expect(counts[0]).toBe(2);
  });

  it('matches the N+1 baseline’s answer, whose statement count grows with the page', async () => {
    const counted = async (limit: number) => {
      const context = newRequestContext('baseline');
      const items = await requestContext.run(context, () =>
        listLibraryNaive(t.deps.database.db, owner.id, limit),
      );
      return { items, statements: context.db.statements };
    };
    const small = await counted(10);
    const large = await counted(100);
    expect(small.statements).toBe(11);
    expect(large.statements).toBe(101);
    const optimised = (await get(t, owner.token, '/api/v1/documents?limit=100')).json<Page>();
    expect(large.items.map((d) => ({ id: d.id, tags: d.tags }))).toEqual(
      optimised.items.map((d) => ({ id: d.id, tags: d.tags })),
    );
  });

  it('pages by cursor through every document exactly once, and offset paging agrees', async () => {
    const byCursor = await allPages(owner.token, 'limit=17');
    expect(byCursor).toHaveLength(TOTAL);
    expect(new Set(byCursor).size).toBe(TOTAL);
    const byOffset: string[] = [];
    for (let offset = 0; offset < TOTAL; offset += 17) {
      const res = await get(t, owner.token, `/api/v1/documents?limit=17&offset=${offset}`);
      byOffset.push(...res.json<Page>().items.map((i) => i.id));
    }
    expect(byOffset).toEqual(byCursor);
  });

  it('has no duplicates or gaps under concurrent inserts (new rows land before the cursor)', async () => {
    const user = await registerUser(t);
    const initial = await insertDocuments(user.id, 60);
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const res = await get(t, user.token, `/api/v1/documents?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      const page = res.json<Page>();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      await insertDocuments(user.id, 3); // newer than anything paged so far
      round += 1;
    } while (cursor && round < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => initial.includes(id)).sort()).toEqual([...initial].sort());
  });

  it('filters by kind, tag and title, and returns sparse fields', async () => {
    const user = await registerUser(t);
    await insertDocuments(user.id, 4);
    const [story] = await insertDocuments(user.id, 1, 'story');
    const stories = await get(t, user.token, '/api/v1/documents?kind=story');
    expect(stories.json<Page>().items.map((i) => i.id)).toEqual([story]);
    const tagged = await get(t, user.token, '/api/v1/documents?tag=tag-0');
    expect(tagged.json<Page>().items.length).toBe(3); // documents 0 and 3, and the story
    const titled = await get(t, user.token, '/api/v1/documents?q=document%200');
    expect(titled.json<Page>().items.length).toBe(2);
    const likeChars = await get(t, user.token, '/api/v1/documents?q=%25');
    expect(likeChars.json<Page>().items).toEqual([]);
    const sparse = await get(t, user.token, '/api/v1/documents?fields=title,status&limit=2');
    for (const item of sparse.json<Page>().items)
      expect(Object.keys(item).sort()).toEqual(['id', 'status', 'title']);
    const bad = await get(t, user.token, '/api/v1/documents?fields=title,password_hash');
    expect(bad.statusCode).toBe(400);
    const badCursor = await get(t, user.token, '/api/v1/documents?cursor=nonsense');
    expect(badCursor.json()).toMatchObject({ status: 400, code: 'HTTP_INVALID_CURSOR' });
  });
});

import { sql } from 'kysely';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-server.ts';
import { testEnv } from '../harness/env.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { copyDataDir } from '../harness/pglite-template.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Switching the embedding model without downtime: a building space is re-embedded in the background (here
// throttled to seconds) while searches keep answering from the active space; the flip is atomic and the old
// space's vectors and index are dropped. PostgreSQL here has no pgvector: there the admin API says so.
const ADMIN = 'embeddings-admin@example.com';
const PASSWORD = 'correct horse battery';

const env = (fake: FakeOpenAi, extra: Record<string, string> = {}) => ({
  AI_BASE_URL: fake.url,
  AI_EMBEDDING_MODEL: 'fake-a',
  AI_EMBEDDING_DIMENSIONS: '8',
  ADMIN_EMAILS: ADMIN,
  EMBEDDINGS_RETIRE_AFTER_MS: '300',
  ...extra,
});

const TOPICS = ['harbour pilots', 'alpine glaciers', 'desert caravans', 'river deltas', 'forest canopies'];
const text = (topic: string, i = 0) =>
  `# ${topic}\n\nNotes on ${topic} number ${i}: how ${topic} change with the seasons, and what people ` +
  `who study ${topic} measure every year.`;

interface SearchBody {
  space: { id: number; model: string } | null;
  hits: { chunkId: string }[];
}
interface SpaceBody {
  id: number;
  model: string;
  dims: number;
  state: string;
  progress: { embedded: number; total: number };
}

async function registerAdmin(t: TestApp): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: ADMIN, password: PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ tokens: { accessToken: string } }>().tokens.accessToken;
}

const switchTo = (t: TestApp, token: string, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/embeddings/spaces',
    headers: { authorization: `Bearer ${token}` },
    payload,
  });

async function libraryOf(t: TestApp, token: string, count: number, offset = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[(offset + i) % TOPICS.length]!;
    const res = await upload(t, token, {
      fileName: `${topic}-${offset + i}.md`,
      data: text(topic, offset + i),
    });
    ids.push(res.json<UploadedDocument>().id);
  }
  for (const id of ids) expect((await settle(t, token, id)).status).toBe('ready');
  return ids;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const spaceRow = (t: TestApp, id: number) =>
  t.deps.database.db.selectFrom('embedding_spaces').selectAll().where('id', '=', id).executeTakeFirst();

/** Every text the fake endpoint was asked to embed with `model` (the dimension probe left out). */
const inputsOf = (fake: FakeOpenAi, model: string) =>
  fake.requests
    .filter((r) => r.path === '/v1/embeddings' && r.body.model === model)
    .flatMap((r) => (Array.isArray(r.body.input) ? r.body.input : [r.body.input ?? '']))
    .filter((input) => input !== 'dimension probe');

describe('embedding-model switch', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let admin: string;
  let user: { id: string; token: string };

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // One chunk per batch, a second apart: the re-embed of the library (5 chunks) spans seconds.
    t = await createTestApp(
      env(fake, { EMBEDDINGS_REEMBED_BATCH: '1', EMBEDDINGS_REEMBED_DELAY_MS: '1000' }),
    );
    await t.deps.startBackground({ workers: true });
    admin = await registerAdmin(t);
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('refuses non-admins, and answers 409 where vector search is off', async () => {
    const forbidden = await switchTo(t, user.token, { model: 'fake-b' });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    if (t.engine === 'postgres') {
      for (const res of [
        await switchTo(t, admin, { model: 'fake-b' }),
        await get(t, admin, '/api/v1/admin/embeddings/spaces'),
      ]) {
        expect(res.statusCode).toBe(409);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'EMBEDDINGS_VECTOR_DISABLED' });
      }
      const search = await get(t, user.token, '/api/v1/search?q=glaciers');
      expect(search.json<SearchBody>().space).toBeNull();
    }
    const invalid = await switchTo(t, admin, { model: 'fake-b', dims: 0, extra: true });
    expect(invalid.statusCode).toBe(400);
  });

  it('keeps answering from the old space during the re-embed, flips atomically, then drops the old space', async () => {
    if (t.engine === 'postgres') return; // no pgvector here: covered by the test above
    await libraryOf(t, user.token, 4);
    const before = await get(t, user.token, '/api/v1/search?q=glaciers&mode=vector');
    const old = before.json<SearchBody>().space!;
    expect(old).toMatchObject({ model: 'fake-a' });

    const switchedAt = performance.now();
    const res = await switchTo(t, admin, { model: 'fake-b' });
    expect(res.statusCode, res.body).toBe(202);
    const created = res.json<{ space: SpaceBody }>().space;
    expect(created).toMatchObject({ model: 'fake-b', dims: 8, state: 'building' });
    const events = get(t, admin, `/api/v1/admin/embeddings/spaces/${created.id}/events`);
    const again = await switchTo(t, admin, { model: 'fake-c' });
    expect(again.json()).toMatchObject({ status: 409, code: 'EMBEDDINGS_SWITCH_IN_PROGRESS' });

    // A document uploaded during the re-embed: its chunks must be in the new space by the flip.
    const late = await upload(t, user.token, { fileName: 'late.md', data: text('tidal bores', 99) });
    const lateId = late.json<UploadedDocument>().id;

    const answers: { space: number; hits: number; status: number; building: boolean }[] = [];
    let building = true;
    while (answers.filter((a) => a.space === created.id).length < 20) {
      const reply = await get(t, user.token, '/api/v1/search?q=seasons%20and%20people&mode=vector');
      const body = reply.json<SearchBody>();
      if (building && body.space?.id === created.id) {
        building = false;
        console.log(
          `[embedding switch] flipped ${Math.round(performance.now() - switchedAt)} ms after the request`,
        );
      }
      answers.push({
        space: body.space?.id ?? 0,
        hits: body.hits?.length ?? 0,
        status: reply.statusCode,
        building,
      });
      if (answers.length > 5000) throw new Error('the switch never completed');
    }
    const during = answers.filter((a) => a.building);
    const after = answers.filter((a) => !a.building);
    console.log(
      `[embedding switch] ${during.length} answers from the old space, then ${after.length} from the new`,
    );
    expect(during.length).toBeGreaterThanOrEqual(20);
    expect(during.every((a) => a.space === old.id)).toBe(true);
    expect(after.every((a) => a.space === created.id)).toBe(true);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.hits === 0)).toEqual([]);

    const stream = (await events).body;
    const names = [...stream.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names[0]).toBe('snapshot');
    expect(names).toContain('progress');
    expect(names.at(-1)).toBe('active');

    // The late document is searchable in the new space: its exact text is its own nearest vector.
    expect((await settle(t, user.token, lateId)).status).toBe('ready');
    const lateChunk = await t.deps.database.db
      .selectFrom('chunks')
      .select(['id', 'text'])
      .where('document_id', '=', lateId)
      .executeTakeFirstOrThrow();
    const found = await get(
      t,
      user.token,
      `/api/v1/search?mode=vector&q=${encodeURIComponent(lateChunk.text)}`,
    );
    expect(found.json<SearchBody>()).toMatchObject({ space: { id: created.id } });
    expect(found.json<SearchBody>().hits[0]?.chunkId).toBe(lateChunk.id);

    // The old space is gone: its vectors, its index and its row.
    await waitFor('the old space to be dropped', async () =>
      (await spaceRow(t, old.id)) ? undefined : true,
    );
    const { rows } = await sql<{ vectors: number; indexes: number }>`
      select (select count(*)::int from chunk_embeddings where space_id = ${old.id}) as vectors,
        (select count(*)::int from pg_indexes where indexname = ${`chunk_embeddings_space_${old.id}_hnsw`}) as indexes
    `.execute(t.deps.database.db);
    expect(rows[0]).toEqual({ vectors: 0, indexes: 0 });

    const list = await get(t, admin, '/api/v1/admin/embeddings/spaces');
    const chunks = await t.deps.database.db
      .selectFrom('chunks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(list.json<{ items: SpaceBody[] }>().items).toEqual([
      expect.objectContaining({
        id: created.id,
        state: 'active',
        progress: { embedded: Number(chunks.n), total: Number(chunks.n) },
      }),
    ]);
    // The configured model is now not the active one: serve start-ups say so (the space keeps its model).
    expect(await t.deps.embeddingSpaces.configuredDrift()).toContain('run `lectern embeddings use fake-a`');
    const same = await switchTo(t, admin, { model: 'fake-b' });
    expect(same.json()).toMatchObject({ status: 409, code: 'EMBEDDINGS_MODEL_ACTIVE' });
  });

  it('answers 422 for a model that cannot embed here', async () => {
    if (t.engine === 'postgres') return;
    const local = await switchTo(t, admin, { model: 'local-glove-100d-sif-v1', dims: 300 });
    expect(local.statusCode).toBe(422);
    expect(local.json()).toMatchObject({ code: 'EMBEDDINGS_MODEL_UNAVAILABLE' });
    expect(local.json<{ detail: string }>().detail).toContain('100 dimensions');
    fake.fail('500', 3);
    const down = await switchTo(t, admin, { model: 'fake-d' });
    expect(down.statusCode).toBe(422);
    expect(down.json()).toMatchObject({ code: 'EMBEDDINGS_MODEL_UNAVAILABLE' });
  });
});

describe('embedding-model switch: resumable', () => {
  // Two apps start one after the other on one data dir: more than the default 30 s on a busy machine.
  it('continues after a restart without embedding a finished chunk again', { timeout: 120_000 }, async () => {
    if (testEnv().engine === 'postgres') return; // vector search is off there
    const fake = await startFakeOpenAi();
    const dataDir = await copyDataDir(testEnv().pgliteTemplate());
    try {
      const first = await createTestApp(
        env(fake, { DATA_DIR: dataDir, EMBEDDINGS_REEMBED_BATCH: '1', EMBEDDINGS_REEMBED_DELAY_MS: '400' }),
      );
      let spaceId: number;
      let doneBefore: number;
      try {
        await first.deps.startBackground({ workers: true });
        const admin = await registerAdmin(first);
        const [a, b] = [await registerUser(first), await registerUser(first)];
        await libraryOf(first, a.token, 5);
        // The same text in another user's library: the new space embeds it once and reuses the vector.
        await libraryOf(first, b.token, 1);
        const res = await switchTo(first, admin, { model: 'fake-b' });
        expect(res.statusCode, res.body).toBe(202);
        spaceId = res.json<{ space: SpaceBody }>().space.id;
        await waitFor('two batches', async () => {
          const row = await spaceRow(first, spaceId);
          return row && row.embedded_chunks >= 2 ? true : undefined;
        });
      } finally {
        await first.close();
      }
      const second = await createTestApp(env(fake, { DATA_DIR: dataDir }));
      try {
        const row = await spaceRow(second, spaceId);
        expect(row).toMatchObject({ state: 'building' });
        doneBefore = row!.embedded_chunks;
        expect(doneBefore).toBeGreaterThanOrEqual(2);
        await second.deps.startBackground({ workers: true });
        await waitFor('the flip', async () =>
          (await spaceRow(second, spaceId))?.state === 'active' ? true : undefined,
        );
        const texts = await second.deps.database.db.selectFrom('chunks').select('text').execute();
        const distinct = new Set(texts.map((c) => c.text));
        expect(texts.length).toBeGreaterThan(distinct.size);
        const embedded = inputsOf(fake, 'fake-b');
        expect([...embedded].sort()).toEqual([...distinct].sort());
      } finally {
        await second.close();
      }
    } finally {
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

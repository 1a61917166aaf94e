import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequestBody } from '../fakes/openai-server.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Courses made by a chat model (the fake OpenAI server): one structured call, schema-invalid answers repaired
// or failed cleanly, the owner's cache, and the extractive fallback when the model is down.
let fake: FakeOpenAi;
let t: TestApp;
let owner: { id: string; token: string };
let documentId: string;

const TEXT = [
  '# Harbour pilotage',
  'Harbour pilots guide every large vessel through the narrow channel at dawn. They read the tide tables, the wind and the depth of the water before each turn.',
  '## Boarding',
  'A pilot boards the ship from a small launch while both boats keep moving. Boarding ladders are checked before every transfer.',
  '## Dredging',
  'The channel silts up every winter, so dredgers clear it before the spring traffic. The pilots keep a log of every passage, which the harbour uses to plan dredging.',
].join('\n\n');

const VALID = {
  summary: 'How harbour pilots bring ships through a silting channel.',
  outline: [
    {
      title: 'Reading the water',
      description: 'Pilots read tide tables, wind and depth before each turn.',
      concepts: ['Tide tables', 'Depth'],
      sources: [1],
    },
    {
      title: 'Keeping the channel open',
      description: 'Dredgers clear the silt every winter, planned from the pilots’ logs.',
      concepts: ['Dredging', 'Depth'],
      sources: [1],
    },
  ],
  objectives: ['Explain how pilots plan a passage.'],
};
/** Missing `objectives` and a concept list that is not a list. */
const INVALID = { summary: VALID.summary, outline: [{ ...VALID.outline[0], concepts: 'Tide tables' }] };

const SECTION = {
  title: 'Boarding at speed',
  description: 'A pilot boards from a moving launch after the ladder is checked.',
  concepts: ['Boarding ladders'],
  sources: [1],
};
let sectionValid = true;

type Mode = 'valid' | 'repairable' | 'invalid';
let mode: Mode = 'valid';
const isRepair = (body: FakeRequestBody) =>
  body.messages?.some((m) => m.content.includes('Validation errors'));
const courseRequests = () =>
  fake.requests.filter((r) => r.body.response_format?.json_schema?.name === 'course');

beforeAll(async () => {
  fake = await startFakeOpenAi({ dimensions: 8 });
  fake.reply((body) => {
    if (body.response_format?.json_schema?.name === 'course-section') {
      return JSON.stringify(sectionValid ? SECTION : { title: 'Half a section' });
    }
    if (body.response_format?.json_schema?.name !== 'course')
      return 'Pilots guide ships through the channel.';
    const valid = mode === 'valid' || (mode === 'repairable' && isRepair(body));
    return JSON.stringify(valid ? VALID : INVALID);
  });
  t = await createTestApp({ AI_BASE_URL: fake.url, AI_EMBEDDING_DIMENSIONS: '8' });
  await t.deps.startBackground({ workers: true });
  owner = await registerUser(t);
  documentId = await uploaded(owner.token);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function uploaded(token: string): Promise<string> {
  const res = await upload(t, token, { fileName: 'pilots.md', contentType: 'text/markdown', data: TEXT });
  expect(res.statusCode, res.body).toBe(201);
  const document = await settle(t, token, res.json<UploadedDocument>().id);
  expect(document.status).toBe('ready');
  return document.id;
}

interface CourseBody {
  id: string;
  status: string;
  outline: { title: string; citations: { documentId: string; chunkId: string; page: number }[] }[] | null;
  objectives: string[] | null;
  summary: string | null;
  engine: string | null;
  model: string | null;
  notice: string | null;
  error: string | null;
}

async function generate(payload: Record<string, unknown>, token = owner.token) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${token}` },
    payload,
  });
  return { status: res.statusCode, body: res.json<{ course: CourseBody; cached: boolean }>() };
}

async function finished(id: string, token = owner.token): Promise<CourseBody> {
  return vi.waitFor(
    async () => {
      const course = (await get(t, token, `/api/v1/courses/${id}`)).json<CourseBody>();
      expect(['ready', 'failed']).toContain(course.status);
      return course;
    },
    { timeout: 20_000, interval: 50 },
  );
}

async function cachedRowsFor(courseId: string) {
  return t.deps.database.db
    .selectFrom('ai_cache')
    .innerJoin('courses', 'courses.cache_key', 'ai_cache.key')
    .select('ai_cache.key')
    .where('courses.id', '=', courseId)
    .execute();
}

describe('schema-invalid model output', () => {
  it('is repaired when the model answers correctly on the repair round', async () => {
    mode = 'repairable';
    const before = courseRequests().length;
    const { status, body } = await generate({ documentIds: [documentId], level: 'beginner' });
    expect(status).toBe(202);
    const course = await finished(body.course.id);
    expect(course).toMatchObject({ status: 'ready', engine: 'llm', model: 'gpt-4o-mini', notice: null });
    expect(course.objectives).toEqual(VALID.objectives);
    const sent = courseRequests().slice(before);
    expect(sent).toHaveLength(2);
    const repair = sent[1]!.body.messages!.at(-1)!.content;
    expect(repair).toContain('/objectives');
    expect(repair).toContain('/outline/0/concepts');
    // The sections cite the excerpt they named, resolved to a chunk of the document.
    for (const item of course.outline!) {
      expect(item.citations.length).toBeGreaterThan(0);
      for (const citation of item.citations) expect(citation.documentId).toBe(documentId);
    }
  });

  it('otherwise fails the course with a readable reason, stores nothing invalid, and ends the job', async () => {
    mode = 'invalid';
    const before = courseRequests().length;
    const { status, body } = await generate({ documentIds: [documentId], level: 'advanced' });
    expect(status).toBe(202);
    const course = await finished(body.course.id);
    expect(course).toMatchObject({ status: 'failed', outline: null, objectives: null, summary: null });
    expect(course.error).toMatch(/did not match the expected structure after 2 repair rounds/);
    expect(courseRequests().slice(before)).toHaveLength(3);
    expect(await cachedRowsFor(course.id)).toEqual([]);
    const concepts = await t.deps.database.db
      .selectFrom('concepts')
      .select('id')
      .where('course_id', '=', course.id)
      .execute();
    expect(concepts).toEqual([]);
  });
});

describe('the AI cache', () => {
  it('answers the identical second request without a model call; another user is not served from it', async () => {
    mode = 'valid';
    const wishes = { audience: 'cache test' };
    const first = await generate({ documentIds: [documentId], ...wishes });
    expect(first.status).toBe(202);
    expect(await finished(first.body.course.id)).toMatchObject({ status: 'ready', engine: 'llm' });
    expect(await cachedRowsFor(first.body.course.id)).toHaveLength(1);

    const before = courseRequests().length;
    const second = await generate({ documentIds: [documentId], ...wishes });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      cached: true,
      course: { status: 'ready', engine: 'llm', summary: VALID.summary },
    });
    expect(courseRequests()).toHaveLength(before);

    // The same file in another user's library, the same wishes: their own generation.
    const other = await registerUser(t);
    const theirs = await uploaded(other.token);
    const third = await generate({ documentIds: [theirs], ...wishes }, other.token);
    expect(third.status).toBe(202);
    expect(await finished(third.body.course.id, other.token)).toMatchObject({ status: 'ready' });
    expect(courseRequests()).toHaveLength(before + 1);
  });
});

describe('when the model is down', () => {
  it('builds the course extractively, marked degraded, and does not cache it', async () => {
    mode = 'valid';
    fake.fail('500', 3, '/v1/chat/completions');
    const { status, body } = await generate({ documentIds: [documentId], audience: 'outage' });
    expect(status).toBe(202);
    const course = await finished(body.course.id);
    expect(course).toMatchObject({ status: 'ready', engine: 'extractive' });
    expect(course.notice).toMatch(/degraded/i);
    expect(course.outline!.length).toBeGreaterThan(0);
    expect(await cachedRowsFor(course.id)).toEqual([]);
  });
});

describe('regenerating one section', () => {
  const regenerate = (id: string, payload?: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/courses/${id}/regenerate`,
      headers: { authorization: `Bearer ${owner.token}` },
      ...(payload ? { payload } : {}),
    });
  const sectionRequests = () =>
    fake.requests.filter((r) => r.body.response_format?.json_schema?.name === 'course-section');

  it('remakes only that outline item, in one structured call, keeping the rest', async () => {
    mode = 'valid';
    sectionValid = true;
    const { body } = await generate({ documentIds: [documentId], audience: 'sections' });
    const before = await finished(body.course.id);
    const calls = sectionRequests().length;

    const res = await regenerate(before.id, { section: 1 });
    expect(res.statusCode, res.body).toBe(202);
    const after = await finished(before.id);
    expect(after).toMatchObject({
      status: 'ready',
      engine: 'llm',
      summary: before.summary,
      objectives: before.objectives,
    });
    expect(after.outline![0]).toEqual(before.outline![0]);
    expect(after.outline![1]).toMatchObject({ title: SECTION.title });
    expect(after.outline![1]!.citations[0]).toMatchObject({ documentId });
    expect(sectionRequests()).toHaveLength(calls + 1);
    expect(sectionRequests().at(-1)!.body.messages!.at(-1)!.content).toContain(
      '2. Keeping the channel open  <- this section',
    );

    const concepts = await get(t, owner.token, `/api/v1/courses/${before.id}/concepts?depth=2`);
    expect(concepts.json<{ items: { name: string }[] }>().items.map((i) => i.name)).toContain(
      'Boarding ladders',
    );
  });

  it('leaves the course as it was, with a notice, when the model never answers a valid section', async () => {
    mode = 'valid';
    sectionValid = false;
    const { body } = await generate({ documentIds: [documentId], audience: 'sections, invalid' });
    const before = await finished(body.course.id);
    expect((await regenerate(before.id, { section: 0 })).statusCode).toBe(202);
    const after = await finished(before.id);
    expect(after).toMatchObject({ status: 'ready', outline: before.outline, summary: before.summary });
    expect(after.notice).toMatch(/Section 1 was not regenerated/);
    sectionValid = true;
  });

  it('refuses a section the course does not have (422) and a malformed one (400)', async () => {
    mode = 'valid';
    const { body } = await generate({ documentIds: [documentId], audience: 'sections' });
    const course = await finished(body.course.id);
    const missing = await regenerate(course.id, { section: 5 });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'COURSE_SECTION_NOT_FOUND' });
    for (const payload of [{ section: -1 }, { section: 'one' }, { whole: true }]) {
      expect((await regenerate(course.id, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
  });
});

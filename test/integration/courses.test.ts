import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { corruptPdf, generatePdf } from '../fixtures/pdfs.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Courses with the local extractive engine (no AI endpoint: the embedded default, and fleet mode without
// AI_BASE_URL): from real uploaded PDFs through the job to a cited outline, the concept graph, the cache,
// regenerate, delete, notifications, and the request's errors.
let t: TestApp;
let owner: { id: string; token: string };
let pdfId: string;
let secondId: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  owner = await registerUser(t);
  pdfId = await uploaded(owner.token, 'manual.pdf', await generatePdf({ pages: 12 }));
  const other = (page: number) =>
    `Chapter ${page}\n\nHarbour pilots steer ships through channel ${page}. They read tides, wind and depth before each turn. Dredgers clear the silt every winter.`;
  secondId = await uploaded(owner.token, 'harbour.pdf', await generatePdf({ pages: 4, textForPage: other }));
});
afterAll(() => t?.close());

async function uploaded(token: string, fileName: string, data: Buffer): Promise<string> {
  const res = await upload(t, token, { fileName, contentType: 'application/pdf', data });
  expect(res.statusCode, res.body).toBe(201);
  return (await settle(t, token, res.json<UploadedDocument>().id)).id;
}

interface CourseBody {
  id: string;
  status: string;
  title: string;
  summary: string | null;
  outline: {
    title: string;
    description: string;
    concepts: string[];
    citations: { documentId: string; page: number; chunkId: string; quote: string }[];
  }[];
  objectives: string[];
  engine: string | null;
  notice: string | null;
  cached: boolean;
  error: string | null;
  jobId: string;
  documentIds: string[];
}

function createCourse(payload: Record<string, unknown>, token = owner.token) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${token}` },
    payload,
  });
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

describe('a course from uploaded documents, made locally', () => {
  let course: CourseBody;
  beforeAll(async () => {
    const res = await createCourse({
      documentIds: [pdfId, secondId],
      audience: 'new pilots',
      level: 'beginner',
    });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json<{ course: CourseBody; jobId: string; cached: boolean }>();
    expect(body).toMatchObject({
      cached: false,
      course: { status: 'queued', documentIds: [pdfId, secondId] },
    });
    expect(body.jobId).toBe(body.course.jobId);
    course = await finished(body.course.id);
  });

  it('is ready, says it is extractive, and has a summary, an outline and objectives', () => {
    expect(course).toMatchObject({ status: 'ready', engine: 'extractive', cached: false, error: null });
    expect(course.notice).toMatch(/extractive/i);
    expect(course.title).toBe('manual');
    expect(course.summary!.length).toBeGreaterThan(20);
    expect(course.outline.length).toBeGreaterThan(1);
    expect(course.objectives.length).toBeGreaterThan(0);
    // Both documents contribute sections.
    const cited = new Set(course.outline.flatMap((item) => item.citations.map((c) => c.documentId)));
    expect(cited).toEqual(new Set([pdfId, secondId]));
  });

  it('cites, for every outline item, chunks that exist on pages within the chunk', async () => {
    for (const item of course.outline) {
      expect(item.citations.length, item.title).toBeGreaterThan(0);
      expect(item.concepts.length).toBeGreaterThan(0);
      for (const citation of item.citations) {
        const chunk = await t.deps.database.db
          .selectFrom('chunks')
          .select(['document_id', 'page_from', 'page_to', 'text'])
          .where('id', '=', citation.chunkId)
          .executeTakeFirstOrThrow();
        expect(chunk.document_id).toBe(citation.documentId);
        expect(citation.page).toBeGreaterThanOrEqual(chunk.page_from);
        expect(citation.page).toBeLessThanOrEqual(chunk.page_to);
        expect(chunk.text.replace(/\s+/g, ' ')).toContain(citation.quote.replace(/…$/, ''));
      }
    }
  });

  it('has a concept graph: sections at depth 1, their concepts at depth 2', async () => {
    const res = await get(t, owner.token, `/api/v1/courses/${course.id}/concepts?depth=2&limit=100`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: { name: string; kind: string; depth: number }[] }>().items;
    const sections = items.filter((i) => i.depth === 1);
    expect(sections.map((s) => s.kind)).toEqual(sections.map(() => 'section'));
    expect(sections.map((s) => s.name).sort()).toEqual(course.outline.map((o) => o.title).sort());
    const concepts = new Set(items.filter((i) => i.depth === 2).map((i) => i.name.toLowerCase()));
    for (const name of course.outline.flatMap((o) => o.concepts))
      expect(concepts).toContain(name.toLowerCase());
  });

  it('answers an identical second request from the cache at once, marked cached', async () => {
    const res = await createCourse({
      documentIds: [pdfId, secondId],
      audience: 'new pilots',
      level: 'beginner',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ course: CourseBody; jobId: string | null; cached: boolean }>();
    expect(body).toMatchObject({ cached: true, jobId: null, course: { status: 'ready', cached: true } });
    expect(body.course.id).not.toBe(course.id);
    expect(body.course.outline).toEqual(course.outline);
    // A different wish is a different request.
    const other = await createCourse({ documentIds: [pdfId, secondId], level: 'advanced' });
    expect(other.statusCode).toBe(202);
  });

  it('notifies the owner when the course is ready', async () => {
    await vi.waitFor(
      async () => {
        const res = await get(t, owner.token, '/api/v1/notifications?limit=100');
        expect(res.statusCode).toBe(200);
        const items = res.json<{ items: { kind: string; subjectId: string }[] }>().items;
        expect(items).toContainEqual(expect.objectContaining({ kind: 'course.ready', subjectId: course.id }));
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it('regenerates, publishing progress on the job channel', async () => {
    const messages: unknown[] = [];
    const jobId = course.jobId.replace(/-1$/, '-2');
    const unsubscribe = await t.deps.pubsub.subscribe(`job:${jobId}`, (m) => messages.push(m));
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/courses/${course.id}/regenerate`,
        headers: { authorization: `Bearer ${owner.token}` },
      });
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ jobId, course: { status: 'queued' } });
      expect(await finished(course.id)).toMatchObject({ status: 'ready', jobId });
      await vi.waitFor(() => expect(messages.at(-1)).toEqual({ status: 'ready', progress: 100 }));
      expect(messages[0]).toEqual({ status: 'generating', progress: 10 });
    } finally {
      await unsubscribe();
    }
  });

  it('lists courses newest first in keyset pages', async () => {
    const first = await get(t, owner.token, '/api/v1/courses?limit=1');
    expect(first.statusCode).toBe(200);
    const page = first.json<{ items: CourseBody[]; nextCursor: string }>();
    expect(page.items).toHaveLength(1);
    const second = await get(t, owner.token, `/api/v1/courses?limit=100&cursor=${page.nextCursor}`);
    const ids = second.json<{ items: CourseBody[] }>().items.map((c) => c.id);
    expect(ids).toContain(course.id);
    expect(ids).not.toContain(page.items[0]!.id);
  });
});

describe('course requests that cannot be served', () => {
  it('refuses documents that are not yours (404) or not ready (422), and bad bodies (400)', async () => {
    const stranger = await registerUser(t);
    const notYours = await createCourse({ documentIds: [pdfId] }, stranger.token);
    expect(notYours.statusCode).toBe(404);
    expect(notYours.json()).toMatchObject({ code: 'COURSE_DOCUMENTS_NOT_FOUND' });

    const failedId = (await uploadedAnyStatus(stranger.token, await corruptPdf())).id;
    const notReady = await createCourse({ documentIds: [failedId] }, stranger.token);
    expect(notReady.statusCode).toBe(422);
    expect(notReady.json()).toMatchObject({ code: 'COURSE_DOCUMENTS_NOT_READY' });

    for (const payload of [
      {},
      { documentIds: [] },
      { documentIds: ['nope'] },
      { documentIds: [pdfId], extra: 1 },
    ]) {
      const res = await createCourse(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it("deletes a course; afterwards it answers 404, as another user's course does", async () => {
    const res = await createCourse({ documentIds: [secondId], title: 'To delete' });
    const { course } = res.json<{ course: CourseBody }>();
    await finished(course.id);
    const stranger = await registerUser(t);
    expect((await get(t, stranger.token, `/api/v1/courses/${course.id}`)).statusCode).toBe(404);
    const del = (token: string) =>
      t.app.inject({
        method: 'DELETE',
        url: `/api/v1/courses/${course.id}`,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await del(stranger.token)).statusCode).toBe(404);
    expect((await del(owner.token)).statusCode).toBe(204);
    const gone = await get(t, owner.token, `/api/v1/courses/${course.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'COURSE_NOT_FOUND' });
    const concepts = await t.deps.database.db
      .selectFrom('concepts')
      .select('id')
      .where('course_id', '=', course.id)
      .execute();
    expect(concepts).toEqual([]);
  });
});

async function uploadedAnyStatus(token: string, data: Buffer) {
  const res = await upload(t, token, { fileName: 'broken.pdf', contentType: 'application/pdf', data });
  expect(res.statusCode, res.body).toBe(201);
  const document = await settle(t, token, res.json<UploadedDocument>().id);
  expect(document.status).toBe('failed');
  return document;
}

describe('the reconcile sweep', () => {
  it('revives a course whose job was lost, under a new generation, to ready', async () => {
    const res = await createCourse({ documentIds: [secondId], title: 'Lost job' });
    const { course } = res.json<{ course: CourseBody }>();
    await finished(course.id);
    // As if its worker died mid-generation an hour ago and the queue forgot the job.
    await t.deps.database.db
      .updateTable('courses')
      .set({ status: 'generating', updated_at: new Date(Date.now() - 3600_000) })
      .where('id', '=', course.id)
      .execute();

    await t.deps.reconciler.runOnce();
    const revived = await finished(course.id);
    expect(revived).toMatchObject({ status: 'ready', jobId: course.jobId.replace(/-1$/, '-2') });
  });
});

import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Source } from '../../src/modules/chat/index.ts';
import { groupChunks, MAX_NOTE_CALLS } from '../../src/modules/generation/courses/course-notes.ts';
import { jobChannel } from '../../src/modules/generation/index.ts';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequestBody } from '../fakes/openai-server.ts';
import { sampleProse } from '../fixtures/pdfs.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// A course over more text than one model call takes (map-reduce, on the fake OpenAI server): one notes call per
// group of consecutive chunks, each within the input budget, then the ONE structured course call over the notes;
// every call charged to the owner, progress per map step on the job channel, citations on the real chunks.
const MAX_INPUT_TOKENS = 2000;

let fake: FakeOpenAi;
let t: TestApp;
let owner: { id: string; token: string };

const schemaOf = (body: FakeRequestBody) => body.response_format?.json_schema?.name;
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The numbered excerpts of a prompt: marker → the excerpt's first sentence (headings skipped). */
function excerpts(body: FakeRequestBody): Map<number, string> {
  const prompt = body.messages!.at(-1)!.content;
  const block = /<excerpts>\n([\s\S]*)\n<\/excerpts>/.exec(prompt)?.[1] ?? '';
  const found = new Map<number, string>();
  for (const excerpt of block.split(/\n\n(?=\[\d+\] )/)) {
    const marker = /^\[(\d+)\] /.exec(excerpt);
    const text = excerpt.slice(excerpt.indexOf('\n') + 1);
    const sentence = /(?:^|\n)([A-Z][^.!?\n#]*[.!?])/.exec(text);
    if (marker && sentence) found.set(Number(marker[1]), sentence[1]!);
  }
  return found;
}

/** Notes quote the first sentence of each excerpt (as many as asked); the course cites the first two notes. */
function answer(body: FakeRequestBody): string {
  const numbered = [...excerpts(body)];
  if (schemaOf(body) === 'course-notes') {
    const asked = Number(/Write at most (\d+) notes/.exec(body.messages!.at(-1)!.content)![1]);
    return JSON.stringify({
      notes: numbered.slice(0, asked).map(([marker, sentence]) => ({ point: sentence, sources: [marker] })),
    });
  }
  return JSON.stringify({
    summary: 'A long field guide, condensed.',
    outline: numbered.slice(0, 2).map(([marker, sentence], i) => ({
      title: `Part ${i + 1}`,
      description: sentence,
      concepts: [`Concept ${i + 1}`],
      sources: [marker],
    })),
    objectives: ['Explain the guide.'],
  });
}

beforeAll(async () => {
  fake = await startFakeOpenAi({ dimensions: 8 });
  fake.reply(answer);
  t = await createTestApp({
    AI_BASE_URL: fake.url,
    AI_EMBEDDING_DIMENSIONS: '8',
    AI_MAX_INPUT_TOKENS: String(MAX_INPUT_TOKENS),
  });
  await t.deps.startBackground({ workers: true });
  owner = await registerUser(t);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

async function ingested(name: string, text: string): Promise<string> {
  const res = await upload(t, owner.token, { fileName: name, contentType: 'text/markdown', data: text });
  expect(res.statusCode, res.body).toBe(201);
  const document = await settle(t, owner.token, res.json<UploadedDocument>().id);
  expect(document.status).toBe('ready');
  return document.id;
}

interface Course {
  status: string;
  engine: string;
  outline: { citations: { documentId: string; chunkId: string; page: number; quote: string }[] }[];
}

async function finished(id: string): Promise<Course> {
  return vi.waitFor(
    async () => {
      const course = (await get(t, owner.token, `/api/v1/courses/${id}`)).json<Course>();
      expect(['ready', 'failed']).toContain(course.status);
      return course;
    },
    { timeout: 30_000, interval: 50 },
  );
}

const tokensSpent = async () =>
  Number(
    (
      await t.deps.database.db
        .selectFrom('ai_usage')
        .select((eb) => eb.fn.sum<number>('tokens').as('tokens'))
        .where('user_id', '=', owner.id)
        .executeTakeFirst()
    )?.tokens ?? 0,
  );

it('makes one notes call per group of chunks, then one course call; progress per step; real citations', async () => {
  const sections = Array.from(
    { length: 24 },
    (_, i) => `## Chapter ${i + 1}\n\n${sampleProse(7000 + i, 12)}`,
  );
  const documentId = await ingested('guide.md', `# Field guide\n\n${sections.join('\n\n')}\n`);
  const spentBefore = await tokensSpent();
  const before = fake.requests.length;

  // The relay is held while the job channel is subscribed, so no step of the job can pass unheard.
  await t.deps.outbox.stop();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(res.statusCode, res.body).toBe(202);
  const { course, jobId } = res.json<{ course: { id: string }; jobId: string }>();
  const progress: number[] = [];
  const unsubscribe = await t.deps.pubsub.subscribe(jobChannel(jobId), (message) =>
    progress.push((message as { progress: number }).progress),
  );
  t.deps.outbox.start();
  const made = await finished(course.id);
  await vi.waitFor(() => expect(progress.at(-1)).toBe(100));
  await unsubscribe();

  expect(made).toMatchObject({ status: 'ready', engine: 'llm' });
  const calls = fake.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
  const notes = calls.filter((r) => schemaOf(r.body) === 'course-notes');
  expect(calls.filter((r) => schemaOf(r.body) === 'course')).toHaveLength(1);
  expect(calls.at(-1)!.body.response_format!.json_schema!.name).toBe('course');
  expect(notes.length).toBeGreaterThanOrEqual(2);
  expect(calls).toHaveLength(notes.length + 1);
  for (const call of calls) {
    const prompt = call.body.messages!.map((m) => m.content).join('\n');
    expect(prompt.length / 4).toBeLessThanOrEqual(MAX_INPUT_TOKENS);
  }
  // Together the notes calls read every chunk, each once.
  const chunks = await t.deps.database.db
    .selectFrom('chunks')
    .select(['id', 'document_id', 'page_from', 'page_to', 'text'])
    .where('document_id', '=', documentId)
    .execute();
  const read = notes.flatMap((r) => [...excerpts(r.body).values()]);
  expect(read).toHaveLength(chunks.length);

  // 10 % when the job starts, one step per notes call up to 80 %, then 90 % and 100 %.
  const steps = notes.map((_, i) => 10 + Math.round((70 * (i + 1)) / notes.length));
  expect(progress).toEqual([10, ...steps, 90, 100]);

  // Every call is charged to the owner: prompt and answer of each.
  const charged = calls.reduce(
    (sum, r) => sum + words(r.body.messages!.map((m) => m.content).join(' ')) + words(answer(r.body)),
    0,
  );
  expect((await tokensSpent()) - spentBefore).toBe(charged);

  // Each section cites the chunk its note came from, at a sentence of that chunk.
  const byId = new Map(chunks.map((c) => [c.id, c]));
  for (const item of made.outline) {
    expect(item.citations.length).toBeGreaterThan(0);
    for (const citation of item.citations) {
      const chunk = byId.get(citation.chunkId);
      expect(chunk, `chunk ${citation.chunkId}`).toBeDefined();
      expect(citation.documentId).toBe(documentId);
      expect(citation.page).toBeGreaterThanOrEqual(chunk!.page_from);
      expect(citation.page).toBeLessThanOrEqual(chunk!.page_to);
      expect(chunk!.text).toContain(citation.quote.replace(/…$/, ''));
    }
  }
  const [first, second] = made.outline.map((item) => item.citations[0]!.chunkId);
  expect(first).not.toBe(second);
});

it('still makes exactly one call, with no notes, for a document that fits the budget', async () => {
  const documentId = await ingested('short.md', `# Short\n\n${sampleProse(42, 6)}\n`);
  const before = fake.requests.length;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(res.statusCode, res.body).toBe(202);
  expect(await finished(res.json<{ course: { id: string } }>().course.id)).toMatchObject({ status: 'ready' });
  const calls = fake.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
  expect(calls.map((r) => schemaOf(r.body))).toEqual(['course']);
});

it('groups a text longer than MAX_NOTE_CALLS calls take by keeping every k-th chunk, spanning all of it', () => {
  const chunk = (i: number): Source => ({
    marker: i + 1,
    chunkId: `c${i}`,
    documentId: 'd',
    title: 'Guide',
    pageFrom: i + 1,
    pageTo: i + 1,
    pageBreaks: [],
    text: 'x'.repeat(400), // 100 tokens
  });
  const chunks = Array.from({ length: 100 }, (_, i) => chunk(i));
  const fitting = groupChunks(chunks.slice(0, 12), 300, MAX_NOTE_CALLS);
  expect(fitting.map((g) => g.map((c) => c.marker))).toEqual([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
    [10, 11, 12],
  ]);
  // 100 chunks of 100 tokens, 300 per call, at most 8 calls: every 5th chunk, 3 to a call (2 in the last).
  const sampled = groupChunks(chunks, 300, MAX_NOTE_CALLS);
  expect(sampled).toHaveLength(7);
  expect(sampled.flat().map((c) => c.marker)).toEqual(Array.from({ length: 20 }, (_, i) => 5 * i + 1));
});

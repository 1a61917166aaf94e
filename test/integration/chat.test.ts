import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  askStreaming,
  citedChunk,
  createConversation,
  FACT,
  FACT_PAGE,
  listen,
  QUESTION,
  uploadHandbook,
  type Message,
} from '../harness/chat.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { readSse, type SseFrame } from '../harness/sse.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// RAG chat on the embedded default engine (extractive: no language model). On PGlite retrieval is hybrid; on
// PostgreSQL 15 (no pgvector here) it is full-text.
let t: TestApp;
let base: string;
let owner: { id: string; token: string };
let other: { id: string; token: string };
let handbook: string;
let canaryDocument: string;
const CANARY = 'zebracanary';

beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  base = await listen(t);
  [owner, other] = [await registerUser(t), await registerUser(t)];
  handbook = await uploadHandbook(t, owner.token);
  // Another user's document that answers the same question, word for word: it must never leak.
  const theirs = await upload(t, other.token, {
    fileName: 'theirs.md',
    data: `# Policy\n\n${FACT.replace('fourteen', `${CANARY} fourteen`)} Ask ${CANARY} support.`,
  });
  canaryDocument = theirs.json<UploadedDocument>().id;
  await settle(t, other.token, canaryDocument);
});
afterAll(() => t.close());

describe('chat on the extractive engine', () => {
  it('answers with the supporting sentence, cited with its page and a real chunk, and says it is extractive', async () => {
    const conversation = await createConversation(t, owner.token, { scope: { documentIds: [handbook] } });
    const res = await ask(t, owner.token, conversation, QUESTION);
    expect(res.statusCode, res.body).toBe(201);
    const { question, answer } = res.json<{ question: Message; answer: Message }>();
    expect(question).toMatchObject({ role: 'user', content: QUESTION });
    expect(answer).toMatchObject({ role: 'assistant', engine: 'extractive', status: 'complete' });
    expect(answer.content).toMatch(/^Extractive answer/);
    expect(answer.content).toContain(FACT);
    const cited = answer.citations.find((c) => c.quote === FACT);
    expect(cited).toMatchObject({ documentId: handbook, page: FACT_PAGE, title: 'handbook' });
    expect(answer.content).toContain(`${FACT}” [${cited!.marker}]`);
    const chunk = await citedChunk(t, owner.token, handbook, cited!.chunkId);
    expect(chunk?.text.replace(/\s+/g, ' ')).toContain(FACT);
    expect(chunk!.pageFrom).toBeLessThanOrEqual(FACT_PAGE);
    expect(chunk!.pageTo).toBeGreaterThanOrEqual(FACT_PAGE);
    for (const citation of answer.citations) {
      const real = await citedChunk(t, owner.token, citation.documentId, citation.chunkId);
      expect(real, 'every citation names a real chunk').toBeDefined();
      expect(citation.page).toBeGreaterThanOrEqual(real!.pageFrom);
      expect(citation.page).toBeLessThanOrEqual(real!.pageTo);
    }
    expect(res.headers['server-timing']).toMatch(/retrieve;dur=[\d.]+, .*rag;dur=[\d.]+, .*ttft;dur=/);
  });

  it("never retrieves, quotes or cites another user's document, even when it matches best", async () => {
    const conversation = await createConversation(t, owner.token); // unscoped: all of the owner's documents
    const json = await ask(t, owner.token, conversation, `${QUESTION} ${CANARY}`);
    expect(json.statusCode, json.body).toBe(201);
    const { answer } = json.json<{ answer: Message }>();
    expect(answer.content).toContain(FACT);
    expect(JSON.stringify(answer)).not.toContain(CANARY);
    expect(JSON.stringify(answer)).not.toContain(canaryDocument);

    const streamed = await askStreaming(base, owner.token, conversation, `${CANARY} support`);
    const frames: SseFrame[] = [];
    for await (const frame of readSse(streamed)) frames.push(frame);
    expect(frames.at(-1)?.event).toBe('answer');
    for (const { event, data } of frames.filter((f) => f.event)) {
      // The question is echoed back in `start`; nothing else may carry the canary.
      const shown = event === 'start' ? (data as { sources: unknown }).sources : data;
      expect(JSON.stringify(shown)).not.toContain(CANARY);
      expect(JSON.stringify(shown)).not.toContain(canaryDocument);
    }
    const history = await get(t, owner.token, `/api/v1/conversations/${conversation}/messages?limit=100`);
    const answers = history.json<{ items: Message[] }>().items.filter((m) => m.role === 'assistant');
    expect(answers).toHaveLength(2);
    for (const answer of answers) {
      expect(answer.content).not.toContain(CANARY);
      expect(answer.citations.every((c) => c.documentId === handbook)).toBe(true);
    }
  });

  it('streams over SSE on a real socket: start, tokens, then the stored answer, with valid framing', async () => {
    const conversation = await createConversation(t, owner.token, { title: 'Refunds' });
    const res = await askStreaming(base, owner.token, conversation, QUESTION);
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/rag;dur=/);
    const frames: SseFrame[] = [];
    for await (const frame of readSse(res)) frames.push(frame);
    const events = frames.filter((f) => f.event).map((f) => f.event);
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('answer');
    expect(events.slice(1, -1).every((e) => e === 'token')).toBe(true);
    expect(events.length).toBeGreaterThan(3);
    const start = frames[0]!.data as { question: Message; sources: { marker: number; documentId: string }[] };
    expect(start.question.content).toBe(QUESTION);
    expect(start.sources.length).toBeGreaterThan(0);
    const tokens = frames.filter((f) => f.event === 'token').map((f) => (f.data as { text: string }).text);
    const answer = frames.at(-1)!.data as Message & { timings: { ragMs: number; firstTokenMs: number } };
    expect(tokens.join('')).toBe(answer.content);
    expect(answer.citations.some((c) => c.quote === FACT && c.page === FACT_PAGE)).toBe(true);
    expect(answer.timings.firstTokenMs).toBeGreaterThanOrEqual(answer.timings.ragMs);

    const stored = await get(t, owner.token, `/api/v1/conversations/${conversation}/messages`);
    const items = stored.json<{ items: Message[] }>().items;
    expect(items.map((m) => m.id)).toEqual([answer.id, start.question.id]);
    expect(items[0]).toMatchObject({ content: answer.content, citations: answer.citations });
  });

  it('scopes a story chat to its story', async () => {
    const story = await t.app.inject({
      method: 'POST',
      url: '/api/v1/stories',
      headers: { authorization: `Bearer ${owner.token}` },
      payload: {
        title: 'The lighthouse keeper',
        text: 'The lighthouse keeper polished the great lens every evening. Refunds for annual plans puzzled him.',
      },
    });
    const storyId = story.json<UploadedDocument>().id;
    await settle(t, owner.token, storyId);
    const conversation = await createConversation(t, owner.token, { scope: { documentIds: [storyId] } });
    const res = await ask(t, owner.token, conversation, QUESTION);
    const { answer } = res.json<{ answer: Message }>();
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations.every((c) => c.documentId === storyId)).toBe(true);
    expect(answer.content).not.toContain(FACT);
  });

  it('pages messages by keyset without gaps or duplicates, and lists and deletes conversations', async () => {
    const conversation = await createConversation(t, owner.token);
    for (const n of [1, 2, 3])
      expect((await ask(t, owner.token, conversation, `question ${n} refunds`)).statusCode).toBe(201);
    const seen: Message[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        t,
        owner.token,
        `/api/v1/conversations/${conversation}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = page.json<{ items: Message[]; nextCursor: string | null }>();
      seen.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.map((m) => m.role)).toEqual(['assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(seen.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
      'question 3 refunds',
      'question 2 refunds',
      'question 1 refunds',
    ]);

    const list = await get(t, owner.token, '/api/v1/conversations?limit=100');
    expect(list.json<{ items: { id: string }[] }>().items.map((c) => c.id)).toContain(conversation);
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/conversations/${conversation}`,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(deleted.statusCode).toBe(204);
    expect((await get(t, owner.token, `/api/v1/conversations/${conversation}`)).statusCode).toBe(404);
  });

  it('answers bad input and other users with problem+json', async () => {
    const conversation = await createConversation(t, owner.token);
    const problem = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      return { status: res.statusCode, code: (JSON.parse(res.body) as { code: string }).code };
    };
    const asOther = { authorization: `Bearer ${other.token}` };
    const notFound = { status: 404, code: 'CHAT_CONVERSATION_NOT_FOUND' };
    expect(problem(await get(t, other.token, `/api/v1/conversations/${conversation}`))).toEqual(notFound);
    expect(problem(await get(t, other.token, `/api/v1/conversations/${conversation}/messages`))).toEqual(
      notFound,
    );
    expect(problem(await ask(t, other.token, conversation, QUESTION))).toEqual(notFound);
    const remove = {
      method: 'DELETE' as const,
      url: `/api/v1/conversations/${conversation}`,
      headers: asOther,
    };
    expect(problem(await t.app.inject(remove))).toEqual(notFound);

    const scope = (documentIds: string[]) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/conversations',
        headers: { authorization: `Bearer ${owner.token}` },
        payload: { scope: { documentIds } },
      });
    expect(problem(await scope([canaryDocument]))).toEqual({ status: 422, code: 'CHAT_SCOPE_INVALID' });
    expect(problem(await scope([]))).toEqual({ status: 422, code: 'CHAT_SCOPE_INVALID' });
    expect(problem(await scope(['not-a-uuid'])).status).toBe(400);

    expect(problem(await ask(t, owner.token, conversation, '   ')).status).toBe(400);
    expect(problem(await ask(t, owner.token, conversation, 'x'.repeat(4001))).status).toBe(400);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conversation}/messages`,
      payload: { content: QUESTION },
    });
    expect(problem(anonymous).status).toBe(401);
    const history = await get(t, owner.token, `/api/v1/conversations/${conversation}/messages`);
    expect(history.json<{ items: Message[] }>().items, 'refused questions are not stored').toEqual([]);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeRequestBody,
  type RecordedRequest,
} from '../fakes/openai-server.ts';
import {
  ask,
  askStreaming,
  createConversation,
  FACT,
  FACT_PAGE,
  listen,
  QUESTION,
  uploadHandbook,
  type Message,
} from '../harness/chat.ts';
import { get, registerUser } from '../harness/library.ts';
import { readSse, type SseFrame } from '../harness/sse.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// RAG chat through an OpenAI-compatible endpoint (a real local HTTP server), on a real listening socket:
// history window, streaming before the upstream finishes, citations, fallback to the extractive engine when the
// endpoint fails or hangs, heartbeats, client disconnects and shutdown.
const CHAT = '/v1/chat/completions';
const DEADLINE_MS = 3000;
let fake: FakeOpenAi;
let t: TestApp;
let base: string;
let owner: { id: string; token: string };
let handbook: string;

const env = () => ({
  AI_BASE_URL: fake.url,
  AI_EMBEDDING_DIMENSIONS: '8',
  AI_TIMEOUT_MS: String(DEADLINE_MS),
  SSE_HEARTBEAT_MS: '200',
});

beforeAll(async () => {
  fake = await startFakeOpenAi({ dimensions: 8, chunkDelayMs: 100 });
  t = await createTestApp(env());
  await t.deps.startBackground({ workers: true });
  base = await listen(t);
  owner = await registerUser(t);
  handbook = await uploadHandbook(t, owner.token);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const chatRequests = (from = 0) => fake.requests.slice(from).filter((r) => r.path === CHAT);

/** Cites the source block of the prompt that holds the fact, as a model following the instructions would. */
function citingAnswer(body: FakeRequestBody): string {
  const prompt = body.messages!.at(-1)!.content;
  const block = prompt.split(/\n\n(?=\[\d+\] ")/).find((b) => b.replace(/\s+/g, ' ').includes(FACT));
  const marker = block ? /^\[(\d+)\]/.exec(block)![1] : '9';
  return `Refunds on annual plans arrive within fourteen days of a written cancellation request [${marker}]. Nothing else applies.`;
}

async function frames(response: Response, until?: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
  const seen: SseFrame[] = [];
  for await (const frame of readSse(response)) {
    seen.push(frame);
    if (until?.(frame)) break;
  }
  return seen;
}

async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe('chat through an OpenAI-compatible model', () => {
  it('sends the last 20 messages of history and never the 21st-oldest', async () => {
    const conversation = await createConversation(t, owner.token, { scope: { documentIds: [handbook] } });
    fake.reply('Noted.');
    for (let n = 1; n <= 11; n++) {
      expect((await ask(t, owner.token, conversation, `question ${n}`)).statusCode).toBe(201);
    }
    const before = fake.requests.length;
    const res = await ask(t, owner.token, conversation, 'question 12');
    expect(res.statusCode, res.body).toBe(201);
    const [request] = chatRequests(before);
    const messages = request!.body.messages!;
    expect(messages[0]!.role).toBe('system');
    const history = messages.slice(1, -1);
    expect(history).toHaveLength(20);
    expect(history[0]).toEqual({ role: 'user', content: 'question 2' });
    expect(history.at(-1)).toEqual({ role: 'assistant', content: 'Noted.' });
    expect(messages.some((m) => m.content === 'question 1')).toBe(false);
    expect(messages.at(-1)!.content).toMatch(/^Sources:[\s\S]*\nQuestion: question 12$/);
  });

  it('streams tokens before the upstream releases its last one, then cites the right chunk and page', async () => {
    const conversation = await createConversation(t, owner.token);
    fake.reply(citingAnswer);
    fake.fail('slowStream', 1, CHAT);
    const before = fake.requests.length;
    const res = await askStreaming(base, owner.token, conversation, QUESTION);
    expect(res.status).toBe(200);
    const seen = await frames(res);
    const firstToken = seen.find((f) => f.event === 'token')!;
    const [upstream] = chatRequests(before);
    expect(upstream!.stream?.outcome).toBe('completed');
    expect(firstToken.at).toBeLessThan(upstream!.stream!.lastTokenAt!);

    const answer = seen.at(-1)!.data as Message;
    expect(seen.at(-1)!.event).toBe('answer');
    expect(answer).toMatchObject({ engine: 'llm', status: 'complete', notice: null });
    const tokens = seen.filter((f) => f.event === 'token').map((f) => (f.data as { text: string }).text);
    expect(tokens.join('')).toBe(answer.content);
    expect(answer.citations).toHaveLength(1);
    expect(answer.citations[0]).toMatchObject({ documentId: handbook, page: FACT_PAGE, quote: FACT });
  });

  it('falls back to the extractive engine with a notice when the model answers 500s, retrying only before the first token', async () => {
    const conversation = await createConversation(t, owner.token);
    fake.fail('500', 3, CHAT);
    const before = fake.requests.length;
    const res = await ask(t, owner.token, conversation, QUESTION);
    expect(res.statusCode, res.body).toBe(201);
    const { answer } = res.json<{ answer: Message }>();
    expect(answer.engine).toBe('extractive');
    expect(answer.notice).toMatch(/did not answer \(it is unavailable\); this is an extractive answer/);
    expect(answer.content).toContain(FACT);
    expect(answer.citations.some((c) => c.quote === FACT && c.page === FACT_PAGE)).toBe(true);
    expect(chatRequests(before)).toHaveLength(3); // the first try and the SDK's two retries
    expect(res.body).not.toContain('internal-upstream-detail');
  });

  it('keeps the stream alive with heartbeats while the model hangs, then falls back at the deadline', async () => {
    const conversation = await createConversation(t, owner.token);
    fake.fail('hang', 1, CHAT);
    const res = await askStreaming(base, owner.token, conversation, QUESTION);
    const seen = await frames(res);
    const notice = seen.findIndex((f) => f.event === 'notice');
    expect(notice).toBeGreaterThan(0);
    expect((seen[notice]!.data as { notice: string }).notice).toMatch(/did not finish in time/);
    const beats = seen.slice(0, notice).filter((f) => f.comment === 'heartbeat');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    const answer = seen.at(-1)!.data as Message;
    expect(answer).toMatchObject({ engine: 'extractive', status: 'complete' });
    expect(answer.content).toContain(FACT);
  });

  it('answers from full text when the question cannot be embedded', async () => {
    const conversation = await createConversation(t, owner.token);
    fake.reply(citingAnswer);
    // With vectors (PGlite) the endpoint fails to embed the question; without (PostgreSQL 15 here) none is asked.
    if (t.engine === 'pglite') fake.fail('500', 3, '/v1/embeddings');
    const before = fake.requests.length;
    const res = await ask(t, owner.token, conversation, `${QUESTION} (rephrased)`);
    expect(res.statusCode, res.body).toBe(201);
    const { answer } = res.json<{ answer: Message }>();
    expect(answer.engine).toBe('llm');
    expect(answer.citations[0]).toMatchObject({ page: FACT_PAGE, quote: FACT });
    const embeddings = fake.requests.slice(before).filter((r) => r.path === '/v1/embeddings');
    expect(embeddings).toHaveLength(t.engine === 'pglite' ? 3 : 0);
  });

  it('closes the upstream request when the client leaves mid-stream, and keeps the partial answer as interrupted', async () => {
    const conversation = await createConversation(t, owner.token);
    const full = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    fake.reply(full);
    fake.fail('slowStream', 1, CHAT);
    const before = fake.requests.length;
    const client = new AbortController();
    const res = await askStreaming(base, owner.token, conversation, QUESTION, client.signal);
    await frames(res, (f) => f.event === 'token').catch(() => undefined);
    client.abort();
    const upstream = await waitFor(
      () => chatRequests(before)[0],
      (r: RecordedRequest | undefined) => r?.stream?.outcome !== 'streaming',
    );
    expect(upstream?.stream?.outcome).toBe('client-closed');
    const stored = await waitFor(
      async () =>
        (await get(t, owner.token, `/api/v1/conversations/${conversation}/messages`)).json<{
          items: Message[];
        }>().items,
      (items) => items.some((m) => m.role === 'assistant'),
    );
    const answer = stored.find((m) => m.role === 'assistant')!;
    expect(answer.status).toBe('interrupted');
    expect(answer.content.length).toBeGreaterThan(0);
    expect(full.startsWith(answer.content)).toBe(true);
    expect(answer.content.length).toBeLessThan(full.length);
  });
});

describe('chat budget and shutdown', () => {
  let small: TestApp;
  afterAll(() => small?.close());

  it('refuses with 429 once the daily token budget is spent, storing nothing', async () => {
    small = await createTestApp({ ...env(), AI_DAILY_TOKENS: '20' });
    const user = await registerUser(small);
    const conversation = await createConversation(small, user.token);
    fake.reply('A short answer.');
    expect((await ask(small, user.token, conversation, 'first question')).statusCode).toBe(201);
    await waitFor(
      async () => (await get(small, user.token, '/api/v1/me/ai-usage')).json<{ used: number }>().used,
      (used) => used > 20,
    );
    const refused = await ask(small, user.token, conversation, 'second question');
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.json<{ code: string }>().code).toBe('AI_BUDGET_EXCEEDED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const history = await get(small, user.token, `/api/v1/conversations/${conversation}/messages`);
    expect(history.json<{ items: Message[] }>().items).toHaveLength(2);
  });

  it('ends a stream with event: shutdown on close and stores the partial answer as interrupted', async () => {
    const app = await createTestApp(env());
    try {
      const url = await listen(app);
      const user = await registerUser(app);
      const conversation = await createConversation(app, user.token);
      fake.reply(Array.from({ length: 30 }, (_, i) => `part${i}`).join(' '));
      fake.fail('slowStream', 1, CHAT);
      const before = fake.requests.length;
      const res = await askStreaming(url, user.token, conversation, 'tell me everything');
      const reader = readSse(res);
      const seen: SseFrame[] = [];
      // next() by hand: leaving a for-await loop would cancel the response (a client hanging up).
      let closing: Promise<unknown> | undefined;
      for (let next = await reader.next(); !next.done; next = await reader.next()) {
        seen.push(next.value);
        if (next.value.event === 'token') closing ??= app.app.close();
      }
      await closing;
      expect(seen.at(-1)).toMatchObject({ event: 'shutdown', retry: 2000 });
      expect(chatRequests(before)[0]!.stream?.outcome).toBe('client-closed');
      const stored = await app.deps.database
        .executor()
        .selectFrom('messages')
        .select(['role', 'status', 'content'])
        .where('conversation_id', '=', conversation)
        .where('role', '=', 'assistant')
        .execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.status).toBe('interrupted');
      expect(stored[0]!.content).toMatch(/^part0 /);
    } finally {
      await app.close();
    }
  });
});

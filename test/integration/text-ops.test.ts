import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, UPSTREAM_SECRET, type FakeOpenAi } from '../fakes/openai-server.ts';
import { registerUser } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// POST /api/v1/ai/text: the embedded default answers extractively; with an AI endpoint (the fake OpenAI
// server) the chat model answers, cached per user, falling back to extraction when it fails.
let fake: FakeOpenAi;
let local: TestApp;
let remote: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAi();
  [local, remote] = await Promise.all([createTestApp(), createTestApp({ AI_BASE_URL: fake.url })]);
});
afterAll(async () => {
  await Promise.all([local?.close(), remote?.close()]);
  await fake?.close();
});

const SENTENCES = [
  'The harbour pilots guide every large vessel through the narrow channel at dawn.',
  'They read the tide tables, the wind and the depth of the water before each turn.',
  'A pilot boards the ship from a small launch while both boats keep moving.',
  'The channel silts up every winter, so dredgers clear it before the spring traffic.',
  'Pilots train for years on smaller boats before they guide the largest tankers.',
  'Radio contact with the harbour master decides the order in which ships enter.',
  'Fog closes the channel a few days each year, and ships then wait at anchor.',
  'The pilots keep a log of every passage, which the harbour uses to plan dredging.',
];
const TEXT = SENTENCES.join(' ');

let seq = 0;
/** A text no earlier request used, so it cannot be answered from the cache. */
const fresh = () => `${TEXT} Passage number ${++seq} ended without delay.`;

function textOp(t: TestApp, token: string | undefined, payload: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/ai/text',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    payload,
  });
}

function expectProblem(res: Awaited<ReturnType<typeof textOp>>, code: string) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: res.statusCode, code });
  expect(res.body).not.toContain(UPSTREAM_SECRET);
}

const chatRequests = () => fake.requests.filter((r) => r.path === '/v1/chat/completions');

describe('text operations without an AI endpoint (embedded default)', () => {
  it('summarizes, shortens and bullet-points extractively, quoting the text', async () => {
    const { token } = await registerUser(local);
    for (const operation of ['summarize', 'shorten', 'bullet-points']) {
      const res = await textOp(local, token, { operation, text: TEXT });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ text: string; notice: string }>();
      expect(body).toMatchObject({
        operation,
        engine: 'extractive',
        model: 'local-extractive-v1',
        cached: false,
      });
      expect(body.notice).toMatch(/extractive.*no AI model is configured/i);
      const lines = operation === 'bullet-points' ? body.text.split('\n') : [body.text];
      if (operation === 'bullet-points') for (const line of lines) expect(line).toMatch(/^- /);
      const quoted = lines.map((line) => line.replace(/^- /, ''));
      // Every sentence of the answer is one of the text's own.
      for (const part of quoted) {
        for (const sentence of part.match(/[^.]+\./g) ?? []) expect(SENTENCES).toContain(sentence.trim());
      }
      expect(body.text.length).toBeLessThan(TEXT.length);
    }
  });

  it('says the extractive engine ignores instructions', async () => {
    const { token } = await registerUser(local);
    const res = await textOp(local, token, { operation: 'summarize', text: TEXT, instructions: 'Be funny.' });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ notice: string }>().notice).toMatch(/instructions are not applied/i);
  });

  it('answers 503 AI_UNAVAILABLE for rewrite and expand, which have no honest extractive answer', async () => {
    const { token } = await registerUser(local);
    for (const operation of ['rewrite', 'expand']) {
      const res = await textOp(local, token, { operation, text: TEXT });
      expect(res.statusCode).toBe(503);
      expectProblem(res, 'AI_UNAVAILABLE');
      expect(res.json<{ detail: string }>().detail).toContain(operation);
    }
  });

  it('serves an identical second request from the cache', async () => {
    const { token } = await registerUser(local);
    const first = await textOp(local, token, { operation: 'summarize', text: TEXT });
    const second = await textOp(local, token, { operation: 'summarize', text: TEXT });
    expect(first.json()).toMatchObject({ cached: false });
    expect(second.json()).toEqual({ ...first.json(), cached: true });
  });
});

describe('text operations with an AI endpoint', () => {
  it('answers every operation with the chat model, the text inside the prompt', async () => {
    const { token } = await registerUser(remote);
    fake.reply((body) => `Answer to ${body.max_tokens} tokens.`);
    for (const operation of ['summarize', 'rewrite', 'shorten', 'expand', 'bullet-points']) {
      const text = fresh();
      const before = chatRequests().length;
      const res = await textOp(remote, token, { operation, text, instructions: 'For a sales deck.' });
      expect(res.statusCode, res.body).toBe(200);
      const sent = chatRequests().slice(before);
      expect(sent).toHaveLength(1);
      expect(res.json()).toEqual({
        operation,
        text: `Answer to ${sent[0]!.body.max_tokens} tokens.`,
        engine: 'llm',
        model: 'gpt-4o-mini',
        cached: false,
        notice: null,
      });
      const prompt = sent[0]!.body.messages!.at(-1)!.content;
      expect(prompt).toContain(`<text>\n${text}\n</text>`);
      expect(prompt).toContain('For a sales deck.');
      expect(res.headers['server-timing']).toMatch(/^ai;dur=\d/);
    }
  });

  it('serves an identical request from the cache without calling upstream, per user', async () => {
    const [a, b] = await Promise.all([registerUser(remote), registerUser(remote)]);
    fake.reply('A cached answer.');
    const text = fresh();
    const before = chatRequests().length;
    const first = await textOp(remote, a.token, { operation: 'summarize', text });
    const again = await textOp(remote, a.token, { operation: 'summarize', text });
    expect(first.json()).toMatchObject({ text: 'A cached answer.', cached: false });
    expect(again.json()).toEqual({ ...first.json(), cached: true });
    expect(chatRequests().length - before).toBe(1);

    // Other instructions are another request.
    const instructed = await textOp(remote, a.token, {
      operation: 'summarize',
      text,
      instructions: 'Short.',
    });
    expect(instructed.json()).toMatchObject({ cached: false });
    expect(chatRequests().length - before).toBe(2);

    // User B never gets user A's entry: the model is asked again.
    const other = await textOp(remote, b.token, { operation: 'summarize', text });
    expect(other.json()).toMatchObject({ text: 'A cached answer.', cached: false });
    expect(chatRequests().length - before).toBe(3);
  });

  it('falls back to extraction when the model keeps failing, and answers 503 where extraction cannot', async () => {
    const { token } = await registerUser(remote);
    // Each request tries three times (two retries): three requests take all nine failures.
    fake.fail('500', 9);
    const before = chatRequests().length;
    for (const operation of ['summarize', 'bullet-points']) {
      const res = await textOp(remote, token, { operation, text: TEXT });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ operation, engine: 'extractive', cached: false });
      expect(res.json<{ notice: string }>().notice).toMatch(/AI service was unavailable/);
      expect(res.body).not.toContain(UPSTREAM_SECRET);
    }
    const rewrite = await textOp(remote, token, { operation: 'rewrite', text: TEXT });
    expect(rewrite.statusCode).toBe(503);
    expectProblem(rewrite, 'AI_UNAVAILABLE');
    expect(chatRequests().length - before).toBe(9);

    // A fallback is not cached: once the model is back, it answers.
    fake.reply('The model is back.');
    const recovered = await textOp(remote, token, { operation: 'summarize', text: TEXT });
    expect(recovered.json()).toMatchObject({ text: 'The model is back.', engine: 'llm', cached: false });
  });
});

describe('text operations when the model hangs', () => {
  let impatient: TestApp;
  beforeAll(async () => {
    impatient = await createTestApp({ AI_BASE_URL: fake.url, AI_TIMEOUT_MS: '1000' });
  });
  afterAll(() => impatient?.close());

  it('answers extractively after the deadline, and 503 for an operation that needs the model', async () => {
    const { token } = await registerUser(impatient);
    fake.fail('hang', 1);
    const res = await textOp(impatient, token, { operation: 'shorten', text: TEXT });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ engine: 'extractive', model: 'local-extractive-v1', cached: false });
    expect(res.json<{ notice: string }>().notice).toMatch(/AI service was unavailable/);

    fake.fail('hang', 1);
    const expand = await textOp(impatient, token, { operation: 'expand', text: TEXT });
    expect(expand.statusCode).toBe(503);
    expectProblem(expand, 'AI_UNAVAILABLE');
  });
});

describe('text operation requests', () => {
  it('refuses bad bodies with 400 problem+json and anonymous callers with 401', async () => {
    const { token } = await registerUser(local);
    const bad = [
      { operation: 'summarize', text: '' },
      { operation: 'summarize', text: ' \n\t ' },
      { operation: 'summarize', text: 'x'.repeat(20_001) },
      { operation: 'translate', text: TEXT },
      { text: TEXT },
      { operation: 'summarize' },
      { operation: 'summarize', text: TEXT, instructions: 'x'.repeat(501) },
      { operation: 'summarize', text: TEXT, temperature: 2 },
    ];
    for (const payload of bad) {
      const res = await textOp(local, token, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expectProblem(res, 'HTTP_VALIDATION_FAILED');
    }
    const anonymous = await textOp(local, undefined, { operation: 'summarize', text: TEXT });
    expect(anonymous.statusCode).toBe(401);
    expectProblem(anonymous, 'AUTH_UNAUTHENTICATED');
  });
});

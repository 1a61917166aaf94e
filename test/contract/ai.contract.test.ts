import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { AiUsage } from '../../src/platform/ai/ai-hooks.ts';
import { createAi } from '../../src/platform/ai/create-ai.ts';
import type { CompletionEvent, CompletionRequest } from '../../src/platform/ai/llm.ts';
import { AppError } from '../../src/platform/errors.ts';
import { startFakeOpenAi, UPSTREAM_SECRET, type FakeOpenAi } from '../fakes/openai-server.ts';

// The AI ports' contract, run through the real OpenAI-compatible adapters against a real HTTP server.
const API_KEY = 'sk-contract-test-key-never-shown';
const question: CompletionRequest = {
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
};

let server: FakeOpenAi;
beforeEach(async () => {
  server = await startFakeOpenAi({ dimensions: 8, chunkDelayMs: 400 });
});
afterEach(() => server.close());

function connect(env: Record<string, string> = {}) {
  const usage: AiUsage[] = [];
  const observed: { task: string; model: string; seconds: number }[] = [];
  const config = loadConfig({
    AI_BASE_URL: server.url,
    AI_API_KEY: API_KEY,
    AI_CHAT_MODEL: 'fake-chat',
    AI_EMBEDDING_MODEL: 'fake-embed',
    AI_EMBEDDING_DIMENSIONS: '8',
    ...env,
  });
  const ai = createAi(config, {
    onUsage: (u) => usage.push(u),
    observe: (task, model, seconds) => observed.push({ task, model, seconds }),
  });
  if (!ai) throw new Error('AI_BASE_URL is set: the OpenAI adapters were expected');
  return { ...ai, usage, observed };
}

async function collect(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const seen: CompletionEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** The AppError a call ends with; also proves no upstream body, URL or key leaks into what a client sees. */
async function failure(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const visible = JSON.stringify({
    message: (error as AppError).message,
    headers: (error as AppError).headers,
  });
  for (const secret of [API_KEY, UPSTREAM_SECRET, server.url, '127.0.0.1'])
    expect(visible).not.toContain(secret);
  // Not even the cause chain a log line would print carries the key.
  expect(inspect(error, { depth: 10 })).not.toContain(API_KEY);
  return error as AppError;
}

const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
};

describe('OpenAI-compatible embedder', () => {
  it('embeds deterministically with the configured dimensions, sending float encoding and the key', async () => {
    const { embedder, usage, observed } = connect();
    const first = await embedder.embed(['hello world', 'a second text here']);
    const again = await embedder.embed(['hello world']);
    expect(first.vectors).toHaveLength(2);
    for (const vector of first.vectors) expect(vector).toHaveLength(8);
    expect(again.vectors[0]).toEqual(first.vectors[0]);
    expect(first.vectors[1]).not.toEqual(first.vectors[0]);
    expect(first.tokens).toBe(6);
    expect(server.requests[0]).toMatchObject({
      path: '/v1/embeddings',
      body: { model: 'fake-embed', encoding_format: 'float', input: ['hello world', 'a second text here'] },
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(usage[0]).toEqual({ task: 'embed', model: 'fake-embed', promptTokens: 6, completionTokens: 0 });
    expect(observed.map((o) => o.task)).toEqual(['embed', 'embed']);
  });

  it('batches 600 inputs into requests of at most 256 and keeps input order', async () => {
    const { embedder, usage } = connect();
    const texts = Array.from({ length: 600 }, (_, i) => `text number ${i}`);
    const { vectors, tokens } = await embedder.embed(texts, { task: 'document.embed' });
    expect(server.requests.map((r) => r.body.input?.length)).toEqual([256, 256, 88]);
    expect(vectors).toHaveLength(600);
    expect(tokens).toBe(1800);
    expect(usage.map((u) => u.promptTokens)).toEqual([768, 768, 264]);
    expect(usage.every((u) => u.task === 'document.embed')).toBe(true);
    const alone = await embedder.embed([texts[599]!]);
    expect(vectors[599]).toEqual(alone.vectors[0]);
  });

  it('refuses vectors of the wrong length with AI_BAD_RESPONSE', async () => {
    const { embedder } = connect();
    server.fail('wrongDimensions');
    const error = await failure(embedder.embed(['hello world']));
    expect(error).toMatchObject({ code: 'AI_BAD_RESPONSE', status: 502 });
  });
});

describe('OpenAI-compatible LLM', () => {
  it('completes, reporting the text, usage, served model and finish reason', async () => {
    const { llm, usage, observed } = connect();
    server.reply('Paris is the capital.');
    const completion = await llm.complete({ ...question, maxTokens: 50, temperature: 0.2 });
    expect(completion).toEqual({
      text: 'Paris is the capital.',
      usage: { promptTokens: 8, completionTokens: 4 },
      model: 'fake-chat',
      finishReason: 'stop',
    });
    expect(server.requests[0]?.body).toMatchObject({
      max_tokens: 50,
      temperature: 0.2,
      messages: question.messages,
    });
    expect(server.requests[0]?.body.response_format).toBeUndefined();
    expect(usage).toEqual([{ task: 'chat', model: 'fake-chat', promptTokens: 8, completionTokens: 4 }]);
    expect(observed).toHaveLength(1);
  });

  it('asks for a strict JSON schema and returns the JSON answer', async () => {
    const { llm, usage } = connect();
    const schema = { type: 'object', properties: { capital: { type: 'string' } }, required: ['capital'] };
    server.reply('{"capital":"Paris"}');
    const completion = await llm.complete({
      ...question,
      jsonSchema: { name: 'capital', schema },
      task: 'outline',
    });
    expect(JSON.parse(completion.text)).toEqual({ capital: 'Paris' });
    expect(server.requests[0]?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'capital', schema, strict: true },
    });
    expect(usage[0]?.task).toBe('outline');
  });

  it('answers AI_BAD_RESPONSE when a JSON-schema answer is not JSON', async () => {
    const { llm } = connect();
    server.reply('Paris, obviously.');
    const schema = { type: 'object' };
    const error = await failure(llm.complete({ ...question, jsonSchema: { name: 'capital', schema } }));
    expect(error.code).toBe('AI_BAD_RESPONSE');
  });

  it('streams deltas in order, then one done with the whole text and usage', async () => {
    const { llm, usage } = connect();
    server.reply('Paris is the capital.');
    const events = await collect(llm.stream(question));
    expect(events).toEqual([
      { delta: 'Paris ' },
      { delta: 'is ' },
      { delta: 'the ' },
      { delta: 'capital.' },
      {
        done: {
          text: 'Paris is the capital.',
          usage: { promptTokens: 8, completionTokens: 4 },
          model: 'fake-chat',
          finishReason: 'stop',
        },
      },
    ]);
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(usage).toEqual([{ task: 'chat', model: 'fake-chat', promptTokens: 8, completionTokens: 4 }]);
  });
});

describe('upstream failures', () => {
  it('retries 500 twice and then succeeds (maxRetries 2)', async () => {
    const { llm } = connect();
    server.fail('500', 2);
    server.reply('Recovered.');
    expect((await llm.complete(question)).text).toBe('Recovered.');
    expect(server.requests).toHaveLength(3);
  });

  it('gives AI_UNAVAILABLE after three 500s', async () => {
    const { embedder } = connect();
    server.fail('500', 3);
    const error = await failure(embedder.embed(['hello']));
    expect(error).toMatchObject({ code: 'AI_UNAVAILABLE', status: 503 });
    expect(server.requests).toHaveLength(3);
  });

  it('gives AI_UNAVAILABLE when the provider cannot be reached', async () => {
    const { llm } = connect();
    await server.close();
    expect(await failure(llm.complete(question))).toMatchObject({ code: 'AI_UNAVAILABLE', status: 503 });
  });

  it('gives AI_RATE_LIMITED with the upstream Retry-After after 429s, having waited it out twice', async () => {
    const { llm } = connect();
    server.fail('429', 3);
    const { result: error, seconds } = await timed(() => failure(llm.complete(question)));
    expect(error).toMatchObject({ code: 'AI_RATE_LIMITED', status: 503, headers: { 'retry-after': '1' } });
    expect(server.requests).toHaveLength(3);
    expect(seconds).toBeGreaterThanOrEqual(1.9);
  });

  it('gives AI_REJECTED for a 4xx such as an unknown path', async () => {
    const { llm } = connect({ AI_BASE_URL: server.url.replace(/\/v1$/, '/v2') });
    expect(await failure(llm.complete(question))).toMatchObject({ code: 'AI_REJECTED', status: 502 });
    expect(server.requests).toHaveLength(1);
  });

  it.each(['embed', 'complete', 'stream'] as const)(
    'gives AI_BAD_RESPONSE for a malformed body (%s)',
    async (call) => {
      const { embedder, llm } = connect();
      server.fail('malformed');
      const work =
        call === 'embed'
          ? embedder.embed(['x'])
          : call === 'complete'
            ? llm.complete(question)
            : collect(llm.stream(question));
      expect(await failure(work)).toMatchObject({ code: 'AI_BAD_RESPONSE', status: 502 });
    },
  );

  it.each(['complete', 'stream'] as const)(
    'gives AI_TIMEOUT at the 1 s deadline when the provider hangs (%s), not after 60 s',
    async (call) => {
      const { llm, observed } = connect({ AI_TIMEOUT_MS: '1000' });
      server.fail('hang', 3);
      const work = () =>
        failure(call === 'complete' ? llm.complete(question) : collect(llm.stream(question)));
      const { result: error, seconds } = await timed(work);
      expect(error).toMatchObject({ code: 'AI_TIMEOUT', status: 504 });
      expect(seconds).toBeGreaterThanOrEqual(0.9);
      expect(seconds).toBeLessThan(3);
      expect(observed).toHaveLength(1);
    },
  );

  it('gives AI_TIMEOUT mid-stream when chunks trickle past the deadline, charging what was generated', async () => {
    const { llm, usage } = connect({ AI_TIMEOUT_MS: '1000' });
    server.fail('slowStream');
    server.reply('one two three four five six seven eight nine ten');
    const deltas: string[] = [];
    const { result: error, seconds } = await timed(() =>
      failure(
        (async () => {
          for await (const event of llm.stream(question)) if ('delta' in event) deltas.push(event.delta);
        })(),
      ),
    );
    expect(error).toMatchObject({ code: 'AI_TIMEOUT', status: 504 });
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.length).toBeLessThan(10);
    expect(seconds).toBeLessThan(3);
    expect(usage).toHaveLength(1);
    expect(usage[0]?.completionTokens).toBeGreaterThan(0);
  });

  it('lets the consumer break off a stream at once, charging an estimate of what was generated', async () => {
    const { llm, usage, observed } = connect();
    server.fail('slowStream');
    server.reply('one two three four five six seven eight nine ten');
    const { seconds } = await timed(async () => {
      for await (const event of llm.stream(question)) if ('delta' in event && event.delta === 'two ') break;
    });
    expect(seconds).toBeLessThan(1.5); // two chunks at 400 ms each, not ten
    // ~4 characters a token: 46 characters of prompt, 'one two ' generated.
    expect(usage).toEqual([{ task: 'chat', model: 'fake-chat', promptTokens: 12, completionTokens: 2 }]);
    expect(observed).toHaveLength(1);
  });

  it("hands back the caller's own abort reason, not an AI error", async () => {
    const { llm } = connect();
    server.fail('hang');
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 50);
    await expect(llm.complete({ ...question, signal: controller.signal })).rejects.toBe(reason);
  });
});

it('leaves the OpenAI adapters out when AI_BASE_URL is not set', () => {
  expect(createAi(loadConfig({}), { onUsage: () => {}, observe: () => {} })).toBeUndefined();
});

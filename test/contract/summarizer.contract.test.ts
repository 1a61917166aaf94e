import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createExtractiveSummarizer } from '../../src/modules/ingest/summarize/extractive-summarizer.ts';
import {
  createLlmSummarizer,
  MAX_PARTS,
  SAMPLED_NOTE,
  UNAVAILABLE_NOTE,
} from '../../src/modules/ingest/summarize/llm-summarizer.ts';
import type { SummaryInput } from '../../src/modules/ingest/summarize/summarizer.ts';
import { estimateTokens } from '../../src/modules/ingest/summarize/token-estimate.ts';
import { createAi } from '../../src/platform/ai/create-ai.ts';
import type { Llm } from '../../src/platform/ai/llm.ts';
import { AppError } from '../../src/platform/errors.ts';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequestBody } from '../fakes/openai-server.ts';

// The LLM summarizer through the real OpenAI-compatible adapter against a real HTTP server.
const MAX_INPUT_TOKENS = 1_500;

let server: FakeOpenAi;
beforeEach(async () => {
  server = await startFakeOpenAi();
});
afterEach(() => server.close());

/** The adapter, wrapped to record how many calls were ever in flight at once and the signals they got. */
function connect() {
  const config = loadConfig({ AI_BASE_URL: server.url, AI_CHAT_MODEL: 'fake-chat' });
  const ai = createAi(config, { onUsage: () => {}, observe: () => {} });
  if (!ai) throw new Error('AI_BASE_URL is set: the OpenAI adapters were expected');
  const calls = { inFlight: 0, most: 0, signals: [] as (AbortSignal | undefined)[] };
  const llm: Llm = {
    model: ai.llm.model,
    stream: (request) => ai.llm.stream(request),
    async complete(request) {
      calls.most = Math.max(calls.most, ++calls.inFlight);
      calls.signals.push(request.signal);
      try {
        return await ai.llm.complete(request);
      } finally {
        calls.inFlight--;
      }
    },
  };
  return { llm, calls };
}

function summarizer(options: { deadlineMs?: number } = {}) {
  const fallback = createExtractiveSummarizer();
  const { llm, calls } = connect();
  return {
    calls,
    summarizer: createLlmSummarizer({ llm, fallback, maxInputTokens: MAX_INPUT_TOKENS, ...options }),
  };
}

const prose = (topic: string, sentences: number) =>
  Array.from(
    { length: sentences },
    (_, i) => `The ${topic} report notes finding number ${i + 1} about the ${topic} budget and its staff.`,
  ).join(' ');

const short: SummaryInput = {
  title: 'Riverside Water Utility',
  sections: [
    { heading: 'Pipes', text: 'Crews replaced 42 kilometres of old cast-iron water pipes this year.' },
    { heading: null, text: 'Water rates for households stayed flat for the third year in a row.' },
  ],
};

/** Nine sections of ~300 estimated tokens: three to a 1,200-token part, so three parts. */
const long: SummaryInput = {
  title: 'Annual report',
  sections: Array.from({ length: 9 }, (_, i) => ({
    heading: `Chapter ${i + 1}`,
    text: prose(`chapter-${i + 1}`, 14),
  })),
};

const userText = (body: FakeRequestBody) => body.messages?.find((m) => m.role === 'user')?.content ?? '';
const partOf = (body: FakeRequestBody) =>
  /This is part (\d+) of (\d+)/.exec(userText(body))?.slice(1).join('/');
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** What the fake charged for every request it saw, given the answer it sent to each. */
function charged(answers: (body: FakeRequestBody) => string) {
  return server.requests.reduce(
    (sum, { body }) => ({
      promptTokens: sum.promptTokens + (body.messages ?? []).reduce((n, m) => n + words(m.content), 0),
      completionTokens: sum.completionTokens + words(answers(body)),
    }),
    { promptTokens: 0, completionTokens: 0 },
  );
}

describe('LLM summarizer', () => {
  it('summarizes a document that fits the budget in one call', async () => {
    server.reply('  The utility replaced old pipes and kept household rates flat.\n');
    const summary = await summarizer().summarizer.summarize(short);
    expect(summary).toEqual({
      text: 'The utility replaced old pipes and kept household rates flat.',
      model: 'fake-chat',
      method: 'llm',
      note: null,
      usage: charged(() => 'The utility replaced old pipes and kept household rates flat.'),
    });
    expect(server.requests).toHaveLength(1);
    const { body } = server.requests[0]!;
    expect(body).toMatchObject({ model: 'fake-chat', max_tokens: 400, temperature: 0.2 });
    expect(body.messages?.[0]?.role).toBe('system');
    for (const text of ['Riverside Water Utility', 'Pipes', ...short.sections.map((s) => s.text)])
      expect(userText(body)).toContain(text);
  });

  it('map-reduces a long document: one call per part, two at a time, then one over the part summaries', async () => {
    const answer = (body: FakeRequestBody) => {
      const part = partOf(body);
      return part ? `Summary of part ${part}.` : 'The whole report, in brief.';
    };
    server.reply(answer);
    const { summarizer: engine, calls } = summarizer();
    const summary = await engine.summarize(long);

    expect(
      server.requests
        .map((r) => partOf(r.body))
        .slice(0, 3)
        .sort(),
    ).toEqual(['1/3', '2/3', '3/3']);
    expect(server.requests).toHaveLength(4);
    const reduce = userText(server.requests[3]!.body);
    expect(reduce).toMatch(/Summary of part 1\/3\.\s+Summary of part 2\/3\.\s+Summary of part 3\/3\./);
    expect(reduce).not.toContain('chapter-1');
    expect(calls.most).toBe(2);
    expect(summary).toMatchObject({ text: 'The whole report, in brief.', method: 'llm', note: null });
    expect(summary.usage).toEqual(charged(answer));
    for (const { body } of server.requests) {
      expect(estimateTokens((body.messages ?? []).map((m) => m.content).join('\n'))).toBeLessThanOrEqual(
        MAX_INPUT_TOKENS,
      );
    }
    // Every chapter reached exactly one part.
    const parts = server.requests.slice(0, 3).map((r) => userText(r.body));
    for (const { heading } of long.sections)
      expect(parts.filter((p) => p.includes(`${heading}\n`))).toHaveLength(1);
  });

  it('cuts a single section too long for one call at sentence boundaries', async () => {
    server.reply((body) => (partOf(body) ? 'A part.' : 'The whole.'));
    const input = { title: 'One block', sections: [{ heading: null, text: prose('single', 200) }] };
    expect((await summarizer().summarizer.summarize(input)).text).toBe('The whole.');
    const parts = server.requests.slice(0, -1).map((r) => userText(r.body));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part).toMatch(/<document>\nThe single report.*staff\.\n<\/document>$/s);
  });

  it('reduces again when the part summaries do not fit one call together', async () => {
    // ~360 estimated tokens each: three summaries to a part, so nine parts reduce to three, then to one.
    const longSummary = prose('digest', 18);
    server.reply((body) => (partOf(body) ? longSummary : 'The whole report, in brief.'));
    const input = { ...long, sections: [...long.sections, ...long.sections, ...long.sections] };
    const summary = await summarizer().summarizer.summarize(input);
    expect(summary).toMatchObject({ text: 'The whole report, in brief.', method: 'llm' });
    // In flight two at a time, so neighbours may arrive in either order.
    const labels = server.requests.map((r) => partOf(r.body) ?? 'final');
    expect(labels.slice(0, 9).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `${i + 1}/9`));
    expect(labels.slice(9, 12).sort()).toEqual(['1/3', '2/3', '3/3']);
    expect(labels.slice(12)).toEqual(['final']);
  });

  it('summarizes a document too long for the deadline from an even sample, in a bounded number of calls', async () => {
    server.reply((body) => (partOf(body) ? 'A part.' : 'The whole.'));
    // About 40 budgets of text: without sampling, 40 map calls and more reduce rounds.
    const chapters = Array.from({ length: 160 }, (_, i) => ({
      heading: `Chapter ${i + 1}`,
      text: prose(`topic-${i}`, 18),
    }));
    const summary = await summarizer().summarizer.summarize({
      title: 'A very long report',
      sections: chapters,
    });
    expect(summary).toMatchObject({ text: 'The whole.', method: 'llm', note: SAMPLED_NOTE });
    // At most MAX_PARTS part summaries, then one call over them.
    expect(server.requests.length).toBeGreaterThan(2);
    expect(server.requests.length).toBeLessThanOrEqual(MAX_PARTS + 1);
    // The sample spans the whole document: its first and last chapters both reach the model.
    const seen = server.requests.map((r) => userText(r.body)).join('\n');
    expect(seen).toContain('topic-0 ');
    expect(seen).toContain('topic-159 ');
  });
});

describe('LLM summarizer fallback', () => {
  async function expectFallback(work: Promise<unknown>, input: SummaryInput) {
    const summary = await work;
    const extractive = await createExtractiveSummarizer().summarize(input);
    expect(summary).toMatchObject({
      text: extractive.text,
      model: 'local-extractive-v1',
      method: 'extractive',
      note: UNAVAILABLE_NOTE,
    });
  }

  it('falls back to the extractive summary when the endpoint is down', async () => {
    const { summarizer: engine } = summarizer();
    await server.close();
    await expectFallback(engine.summarize(short), short);
  });

  it('falls back after the SDK has retried a 500 twice, adding no retries of its own', async () => {
    server.fail('500', 3);
    await expectFallback(summarizer().summarizer.summarize(short), short);
    expect(server.requests).toHaveLength(3);
  });

  it('falls back at its deadline when the endpoint hangs', async () => {
    server.fail('hang', 3);
    const started = performance.now();
    await expectFallback(summarizer({ deadlineMs: 500 }).summarizer.summarize(short), short);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0.45);
    expect(seconds).toBeLessThan(1.5);
  });

  it('falls back when a part fails mid map-reduce, cancelling the part beside it and starting no other', async () => {
    server.fail('500', 100);
    const { summarizer: engine, calls } = summarizer();
    await expectFallback(engine.summarize(long), long);
    expect(calls.signals).toHaveLength(2);
    expect(calls.signals.every((signal) => signal?.aborted)).toBe(true);
    expect(server.requests.length).toBeLessThanOrEqual(6);
    expect(server.requests.map((r) => partOf(r.body))).not.toContain('3/3');
  });

  it('falls back when the model answers with nothing', async () => {
    server.reply(' \n ');
    await expectFallback(summarizer().summarizer.summarize(short), short);
  });

  it('falls back when the model ignores max_tokens and its summaries cannot be reduced', async () => {
    server.reply(prose('verbose', 50));
    await expectFallback(summarizer().summarizer.summarize(long), long);
    expect(server.requests).toHaveLength(3);
  });

  it('asks nothing of the model for a document without text', async () => {
    const empty = { title: 'Blank', sections: [{ heading: 'Nothing', text: '  ' }] };
    expect(await summarizer().summarizer.summarize(empty)).toMatchObject({ text: '', method: 'extractive' });
    expect(server.requests).toHaveLength(0);
  });

  it("rejects with the caller's own reason when the caller aborts", async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    server.reply(() => {
      controller.abort(reason);
      return 'Too late.';
    });
    await expect(summarizer().summarizer.summarize(long, { signal: controller.signal })).rejects.toBe(reason);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});

describe('LLM summarizer errors that are not upstream failures', () => {
  const failing = (fail: (signal: AbortSignal | undefined) => Error): Llm => ({
    model: 'stub',
    complete: async ({ signal }) => Promise.reject(fail(signal)),
    stream: () => {
      throw new Error('not used');
    },
  });
  const engine = (llm: Llm) =>
    createLlmSummarizer({ llm, fallback: createExtractiveSummarizer(), maxInputTokens: MAX_INPUT_TOKENS });

  it("rejects with the caller's reason even when an upstream failure races the abort", async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const llm = failing(() => {
      controller.abort(reason);
      return new AppError('AI_UNAVAILABLE', 503, 'The AI provider is unavailable; retry shortly.');
    });
    await expect(engine(llm).summarize(short, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('lets a bug surface rather than hiding it behind the fallback', async () => {
    const bug = new TypeError('undefined is not a function');
    await expect(engine(failing(() => bug)).summarize(short)).rejects.toBe(bug);
  });
});

it('refuses an input budget too small for part summaries to be reduced', () => {
  const { llm } = connect();
  expect(() =>
    createLlmSummarizer({ llm, fallback: createExtractiveSummarizer(), maxInputTokens: 1_000 }),
  ).toThrow(/at least 1500/);
});

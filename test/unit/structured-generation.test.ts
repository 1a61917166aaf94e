import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { CourseDraft } from '../../src/modules/generation/courses/course.schema.ts';
import { generateStructured, MAX_REPAIR_ROUNDS, toJsonSchema } from '../../src/modules/generation/index.ts';
import { createAi } from '../../src/platform/ai/create-ai.ts';
import type { Llm } from '../../src/platform/ai/llm.ts';
import { AppError } from '../../src/platform/errors.ts';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequestBody } from '../fakes/openai-server.ts';

// generateStructured against the real OpenAI-compatible adapter and the fake OpenAI server: validation of the
// answer, repair rounds that carry the validation errors, and a clean error when the model never gets it right.
const Card = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 40 }),
    layout: Type.Union([Type.Literal('text'), Type.Literal('image')]),
  },
  { additionalProperties: false },
);
const VALID = JSON.stringify({ title: 'Tides', layout: 'text' });
const INVALID = JSON.stringify({ title: 'Tides', layout: 'video', extra: 1 });

let fake: FakeOpenAi;
let llm: Llm;
beforeAll(async () => {
  fake = await startFakeOpenAi();
  const config = loadConfig({ AI_BASE_URL: fake.url, DATA_DIR: '/nonexistent' });
  llm = createAi(config, { onUsage: () => undefined, observe: () => undefined })!.llm;
});
afterAll(() => fake?.close());

const chatRequests = () => fake.requests.filter((r) => r.path === '/v1/chat/completions');
const isRepair = (body: FakeRequestBody) =>
  body.messages?.some((m) => m.content.includes('Validation errors'));

async function run() {
  const before = chatRequests().length;
  const outcome = await generateStructured({
    llm,
    schema: Card,
    name: 'card',
    messages: [{ role: 'user', content: 'One card about tides.' }],
    userId: 'u1',
    task: 'test',
    maxTokens: 200,
  }).catch((error: unknown) => error);
  return {
    outcome,
    sent: chatRequests()
      .slice(before)
      .map((r) => r.body),
  };
}

describe('generateStructured', () => {
  it('asks for the schema as strict json_schema and returns a valid first answer as is', async () => {
    fake.reply(VALID);
    const { outcome, sent } = await run();
    expect(outcome).toMatchObject({ value: { title: 'Tides', layout: 'text' }, repairs: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'card', schema: toJsonSchema(Card), strict: true },
    });
  });

  it('repairs an invalid answer by sending back the validation errors', async () => {
    fake.reply((body) => (isRepair(body) ? VALID : INVALID));
    const { outcome, sent } = await run();
    expect(outcome).toMatchObject({ value: { title: 'Tides', layout: 'text' }, repairs: 1 });
    expect(sent).toHaveLength(2);
    const repair = sent[1]!.messages!;
    expect(repair.at(-2)).toEqual({ role: 'assistant', content: INVALID });
    expect(repair.at(-1)!.content).toContain('/layout');
    expect(repair.at(-1)!.content).toContain('/extra');
  });

  it('repairs an answer that is not JSON at all', async () => {
    fake.reply((body) => (isRepair(body) ? VALID : 'Sure! Here is your card: Tides'));
    const { outcome, sent } = await run();
    expect(outcome).toMatchObject({ repairs: 1 });
    expect(sent[1]!.messages!.at(-1)!.content).toContain('not valid JSON');
  });

  it(`gives up after ${MAX_REPAIR_ROUNDS} repair rounds with GENERATION_INVALID_OUTPUT`, async () => {
    fake.reply(INVALID);
    const { outcome, sent } = await run();
    expect(sent).toHaveLength(1 + MAX_REPAIR_ROUNDS);
    expect(outcome).toBeInstanceOf(AppError);
    expect(outcome).toMatchObject({ code: 'GENERATION_INVALID_OUTPUT', status: 502 });
    expect((outcome as AppError).detail).toContain('/layout');
  });

  it('does not repair provider failures: they surface as AI errors', async () => {
    fake.reply(VALID);
    fake.fail('500', 3, '/v1/chat/completions');
    const { outcome } = await run();
    expect(outcome).toMatchObject({ code: 'AI_UNAVAILABLE' });
  });
});

describe('the course schema', () => {
  it('is shallow and strict: every object closed, every property required, every string bounded', () => {
    // Nesting levels of objects and arrays (scalars add none).
    const visit = (node: Record<string, unknown>): number => {
      if (node.type === 'object') {
        expect(node.additionalProperties).toBe(false);
        expect(node.required).toEqual(Object.keys(node.properties as object));
      }
      if (node.type === 'string') expect(node.maxLength).toBeTypeOf('number');
      if (node.type === 'array') expect(node.maxItems).toBeTypeOf('number');
      const children = [
        ...Object.values((node.properties as Record<string, Record<string, unknown>>) ?? {}),
        ...(node.items ? [node.items as Record<string, unknown>] : []),
      ];
      if (node.type !== 'object' && node.type !== 'array') return 0;
      return 1 + Math.max(0, ...children.map(visit));
    };
    expect(visit(toJsonSchema(CourseDraft))).toBeLessThanOrEqual(4);
  });
});

import { LIBRARY_DATASET } from './library-list.ts';
import { signInSeeded } from './library-session.ts';
import { defineTimedScenario, type Measurement } from './scenario.ts';
import { seededQuery } from './search-queries.ts';
import type { ServerSpec } from '../lib/servers.ts';

const QUESTIONS = 40;
/** The test model's fixed time to first token. */
const MODEL_FIRST_TOKEN_MS = 200;

interface Timings {
  rag: number;
  ttft: number;
  total: number;
}

function stage(serverTiming: string, name: string): number {
  const match = new RegExp(`(?:^|, )${name};dur=([\\d.]+)`).exec(serverTiming);
  if (!match) throw new Error(`no ${name} stage in Server-Timing: ${serverTiming}`);
  return Number(match[1]);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Asks QUESTIONS seeded questions one after another in one conversation; Server-Timing of each answer. */
async function askSequentially(baseUrl: string, signal: AbortSignal, engine: string): Promise<Timings[]> {
  const headers = { ...(await signInSeeded(baseUrl, signal)), 'content-type': 'application/json' };
  const created = await fetch(`${baseUrl}/api/v1/conversations`, {
    method: 'POST',
    headers,
    body: '{}',
    signal,
  });
  if (created.status !== 201) throw new Error(`conversation: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const timings: Timings[] = [];
  for (let i = 0; i < QUESTIONS; i++) {
    const response = await fetch(`${baseUrl}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content: `What do my documents say about how to ${seededQuery(i)}?` }),
      signal,
    });
    const body = (await response.json()) as { answer?: { engine: string; citations: unknown[] } };
    if (response.status !== 201 || body.answer?.engine !== engine || body.answer.citations.length === 0) {
      throw new Error(`question ${i}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
    const serverTiming = response.headers.get('server-timing') ?? '';
    timings.push({
      rag: stage(serverTiming, 'rag'),
      ttft: stage(serverTiming, 'ttft'),
      total: stage(serverTiming, 'total'),
    });
  }
  return timings;
}

/** p50 and p95 of each stage; with a test model, also what Lectern adds to the model's own first token. */
function report(timings: Timings[], modelFirstTokenMs?: number): Measurement[] {
  const series: [string, number[]][] = [
    ['RAG overhead (history, retrieval, prompt)', timings.map((t) => t.rag)],
    ['time to first token', timings.map((t) => t.ttft)],
    ['whole answer', timings.map((t) => t.total)],
  ];
  if (modelFirstTokenMs !== undefined) {
    series.push(["added to the model's first token", timings.map((t) => t.ttft - modelFirstTokenMs)]);
  }
  return series.flatMap(([label, values]) => [
    { label: `${label} p50`, value: percentile(values, 50), unit: 'ms' },
    { label: `${label} p95`, value: percentile(values, 95), unit: 'ms' },
  ]);
}

const modelServer: ServerSpec = {
  kind: 'lectern',
  dataset: LIBRARY_DATASET,
  env: { AI_DAILY_TOKENS: '1000000000' },
  model: { firstTokenMs: MODEL_FIRST_TOKEN_MS, answer: 'Your documents cover this [1].' },
};

export const chatRag = defineTimedScenario({
  name: 'chat-rag',
  description:
    `${QUESTIONS} chat questions one after another (JSON) on seeded data; the model is a local OpenAI-compatible ` +
    `test server with a fixed ${MODEL_FIRST_TOKEN_MS} ms to first token. Server-Timing per answer.`,
  server: modelServer,
  async measure({ baseUrl, signal }) {
    return report(await askSequentially(baseUrl, signal, 'llm'), MODEL_FIRST_TOKEN_MS);
  },
});

export const chatExtractive = defineTimedScenario({
  name: 'chat-extractive',
  description: `${QUESTIONS} chat questions one after another (JSON) on seeded data, answered by the embedded extractive engine.`,
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  async measure({ baseUrl, signal }) {
    return report(await askSequentially(baseUrl, signal, 'extractive'));
  },
});

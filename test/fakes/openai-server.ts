// A real OpenAI-compatible HTTP server on 127.0.0.1 for the AI contract suite: embeddings, chat completions
// (plain and SSE streaming) and faults on demand. Deterministic, so tests can assert exact values.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type FakeFault = '500' | '429' | 'hang' | 'malformed' | 'wrongDimensions' | 'slowStream';

export interface FakeRequestBody {
  model?: string;
  input?: string | string[];
  encoding_format?: string;
  dimensions?: number;
  messages?: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  max_tokens?: number;
  temperature?: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: FakeRequestBody;
  /** Streamed answers: how the stream ended, and when (performance.now()) its last token was written. */
  stream?: { outcome: 'streaming' | 'completed' | 'client-closed'; lastTokenAt?: number };
}

export interface FakeOpenAi {
  /** Base URL including `/v1`, as AI_BASE_URL expects it. */
  url: string;
  requests: RecordedRequest[];
  /** The chat answer from now on: fixed text (JSON when the request asks for a schema) or made per request. */
  reply(answer: string | ((body: FakeRequestBody) => string)): void;
  /** The next `count` requests (to `path` only, e.g. `/v1/chat/completions`, when given) fail this way. */
  fail(kind: FakeFault, count?: number, path?: string): void;
  /** Forgets faults not yet used up. */
  clearFaults(): void;
  close(): Promise<void>;
}

/** Upstream error bodies carry this, so tests can prove it never reaches a client. */
export const UPSTREAM_SECRET = 'internal-upstream-detail-7f3a';

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** A unit vector seeded from the text's hash: the same text always embeds the same way. */
function vectorOf(text: string, dimensions: number): number[] {
  let seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const next = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const raw = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((x) => x / norm);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startFakeOpenAi(
  options: { dimensions?: number; chunkDelayMs?: number; firstTokenDelayMs?: number } = {},
): Promise<FakeOpenAi> {
  // firstTokenDelayMs: a fixed time to first token (to the answer, when not streamed), like a real model's.
  const { dimensions = 8, chunkDelayMs = 400, firstTokenDelayMs = 0 } = options;
  const requests: RecordedRequest[] = [];
  const faults: { kind: FakeFault; remaining: number; path?: string }[] = [];
  let answer: string | ((body: FakeRequestBody) => string) = (body) =>
    `You said: ${body.messages?.at(-1)?.content ?? ''}`;

  const takeFault = (path: string) => {
    const index = faults.findIndex((f) => f.path === undefined || f.path === path);
    const fault = faults[index];
    if (fault && --fault.remaining === 0) faults.splice(index, 1);
    return fault?.kind;
  };

  const embeddings = (res: ServerResponse, body: FakeRequestBody, fault: FakeFault | undefined) => {
    const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
    const size = (body.dimensions ?? dimensions) - (fault === 'wrongDimensions' ? 1 : 0);
    const tokens = inputs.reduce((sum, text) => sum + words(text), 0);
    sendJson(res, 200, {
      object: 'list',
      model: body.model,
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text, size) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const chat = async (res: ServerResponse, record: RecordedRequest, fault: FakeFault | undefined) => {
    const { body } = record;
    const text = typeof answer === 'function' ? answer(body) : answer;
    const promptTokens = (body.messages ?? []).reduce((sum, m) => sum + words(m.content), 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: words(text) };
    const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: body.model };
    if (firstTokenDelayMs > 0) await sleep(firstTokenDelayMs);
    if (!body.stream) {
      const message = { role: 'assistant', content: text };
      const choices = [{ index: 0, message, finish_reason: 'stop' }];
      return sendJson(res, 200, { ...base, object: 'chat.completion', choices, usage });
    }
    const stream: NonNullable<RecordedRequest['stream']> = { outcome: 'streaming' };
    record.stream = stream;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: object, finish_reason: string | null = null) =>
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] });
    chunk({ role: 'assistant', content: '' });
    // Stop writing (and sleeping) as soon as the client hangs up or close() destroys the socket.
    const gone = new AbortController();
    res.on('close', () => {
      gone.abort();
      if (stream.outcome === 'streaming') stream.outcome = 'client-closed';
    });
    try {
      for (const piece of text.split(/(?<= )/)) {
        if (fault === 'slowStream') await sleep(chunkDelayMs, undefined, { signal: gone.signal });
        chunk({ content: piece });
      }
      stream.lastTokenAt = performance.now();
    } catch {
      return;
    }
    chunk({}, 'stop');
    if (body.stream_options?.include_usage)
      send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    stream.outcome = 'completed';
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as FakeRequestBody;
      const path = req.url ?? '';
      const record: RecordedRequest = { path, headers: req.headers, body };
      requests.push(record);
      const fault = takeFault(path);
      const error = { message: `upstream failed: ${UPSTREAM_SECRET}`, type: 'server_error' };
      if (fault === 'hang') return; // accepted, never answered: close() destroys the socket
      if (fault === '500') return sendJson(res, 500, { error });
      if (fault === '429') return sendJson(res, 429, { error }, { 'retry-after': '1' });
      if (fault === 'malformed' && body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"id": oops\n\n');
        return;
      }
      if (fault === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"object": "list", "data": [');
        return;
      }
      if (path === '/v1/embeddings') return embeddings(res, body, fault);
      if (path === '/v1/chat/completions') return void chat(res, record, fault);
      sendJson(res, 404, { error: { message: `no route ${path}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    reply(next) {
      answer = next;
    },
    fail(kind, count = 1, path) {
      faults.push({ kind, remaining: count, path });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hanging and keep-alive sockets would otherwise hold the process open.
      server.closeAllConnections();
      await closed;
    },
  };
}

// GET /api/v1/ws on a real listening socket (DESIGN §10: streaming is never tested through inject()).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userTopic } from '../../src/modules/realtime/index.ts';
import { registerUser, upload, type UploadedDocument } from '../harness/library.ts';
import { pollUntil } from '../e2e/serve-process.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { openWs, refusedUpgrade, wsUrl, type ServerMessage, type WsClient } from '../harness/ws-client.ts';

const MAX_SUBSCRIPTIONS = 3;
const MESSAGE_BURST = 10;
const MAX_BUFFERED_BYTES = 16 * 1024;

let t: TestApp;
let base: string;
const clients: WsClient[] = [];

beforeAll(async () => {
  // No background work yet: documents stay `queued` until the ingestion test starts the workers.
  t = await createTestApp({
    WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
    WS_MESSAGES_PER_SECOND: '2',
    WS_MESSAGE_BURST: String(MESSAGE_BURST),
    WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
  });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});

async function connect(token: string, app = base): Promise<WsClient> {
  const client = await openWs(wsUrl(app, token));
  clients.push(client);
  return client;
}

async function uploadDocument(token: string): Promise<UploadedDocument> {
  const topic = randomBytes(6).toString('hex');
  const text = `# Notes ${topic}\n\n${`The ${topic} tide rises and falls with the moon. `.repeat(40)}\n`;
  const res = await upload(t, token, { fileName: `${topic}.md`, contentType: 'text/markdown', data: text });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<UploadedDocument>();
}

const reply = (client: WsClient, id: string) => client.waitFor((m) => m.id === id && m.op !== 'msg');
const metric = async (read: () => Promise<{ values: { value: number }[] }>) =>
  (await read()).values[0]?.value ?? 0;

describe('connecting', () => {
  it('refuses an upgrade without a valid token with HTTP 401, before any WebSocket exists', async () => {
    expect(await refusedUpgrade(wsUrl(base))).toBe(401);
    expect(await refusedUpgrade(wsUrl(base, 'not-a-token'))).toBe(401);
    expect(await refusedUpgrade(wsUrl(base), { authorization: 'Bearer nope' })).toBe(401);
  });

  it('accepts the token as ?token= or as an Authorization header', async () => {
    const user = await registerUser(t);
    const byQuery = await connect(user.token);
    const byHeader = await openWs(wsUrl(base), { authorization: `Bearer ${user.token}` });
    clients.push(byHeader);
    for (const client of [byQuery, byHeader]) {
      client.send({ op: 'sub', ch: `user:${user.id}`, id: 'me' });
      expect(await reply(client, 'me')).toEqual({ op: 'ack', ch: `user:${user.id}`, id: 'me' });
    }
  });

  it('answers an upgrade to any other path over HTTP and closes that connection', async () => {
    const { port } = new URL(base);
    for (const [path, status] of [
      ['/health', '200 OK'],
      ['/api/v1/nope', '404 Not Found'],
    ] as const) {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      await once(socket, 'close', { signal: AbortSignal.timeout(10_000) });
      expect(received.split('\r\n')[0]).toBe(`HTTP/1.1 ${status}`);
    }
  });

  it('answers a plain GET with 426 problem+json', async () => {
    const user = await registerUser(t);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/ws',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.statusCode).toBe(426);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'REALTIME_UPGRADE_REQUIRED' });
  });
});

describe('subscribing', () => {
  it("refuses another user's doc: and user: channels with the same err as missing ones", async () => {
    const [alice, bob] = [await registerUser(t), await registerUser(t)];
    const bobsDocument = await uploadDocument(bob.token);
    const client = await connect(alice.token);
    const refusals: Record<string, ServerMessage> = {};
    const channels = {
      othersDoc: `doc:${bobsDocument.id}`,
      othersJob: `job:${bobsDocument.id}`,
      othersUser: `user:${bob.id}`,
      missingDoc: `doc:${crypto.randomUUID()}`,
      malformedDoc: 'doc:not-a-uuid',
      unknownKind: `course:${crypto.randomUUID()}`,
    };
    for (const [id, ch] of Object.entries(channels)) {
      client.send({ op: 'sub', ch, id });
      refusals[id] = await reply(client, id);
    }
    for (const [id, ch] of Object.entries(channels)) {
      expect(refusals[id]).toEqual({
        op: 'err',
        ch,
        id,
        data: { code: 'REALTIME_CHANNEL_NOT_FOUND', detail: `No channel ${ch} of yours.` },
      });
    }
    // Nothing of Bob's reached Alice.
    expect(client.messages.filter((m) => m.op === 'msg')).toEqual([]);
  });

  it('answers a malformed message with err REALTIME_BAD_MESSAGE and keeps the connection', async () => {
    const user = await registerUser(t);
    const client = await connect(user.token);
    client.socket.send('not json');
    client.send({ op: 'subscribe', ch: `user:${user.id}` });
    await client.waitFor(() => client.messages.length === 2);
    expect(client.messages.map((m) => m.op === 'err' && (m.data as { code: string }).code)).toEqual([
      'REALTIME_BAD_MESSAGE',
      'REALTIME_BAD_MESSAGE',
    ]);
    client.send({ op: 'sub', ch: `user:${user.id}`, id: 1 });
    expect(await reply(client, 1 as unknown as string)).toMatchObject({ op: 'ack' });
  });

  it(`holds at most ${MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribing frees one`, async () => {
    const user = await registerUser(t);
    const documents = [await uploadDocument(user.token), await uploadDocument(user.token)];
    const channels = [`user:${user.id}`, ...documents.map((d) => `doc:${d.id}`), `job:${documents[0]!.id}`];
    const client = await connect(user.token);
    for (const [i, ch] of channels.entries()) client.send({ op: 'sub', ch, id: `s${i}` });
    const answers = await Promise.all(channels.map((_, i) => reply(client, `s${i}`)));
    expect(answers.filter((a) => a.op === 'ack')).toHaveLength(MAX_SUBSCRIPTIONS);
    const refused = answers.filter((a) => a.op === 'err');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.data).toMatchObject({ code: 'REALTIME_TOO_MANY_SUBSCRIPTIONS' });

    const acked = answers.find((a) => a.op === 'ack')!.ch!;
    client.send({ op: 'unsub', ch: acked, id: 'u' });
    expect(await reply(client, 'u')).toEqual({ op: 'ack', ch: acked, id: 'u' });
    client.send({ op: 'sub', ch: refused[0]!.ch, id: 'again' });
    expect(await reply(client, 'again')).toMatchObject({ op: 'ack', ch: refused[0]!.ch });
  });

  it('closes a connection that sends faster than its token bucket with err, then 1008', async () => {
    const user = await registerUser(t);
    const client = await connect(user.token);
    for (let i = 0; i < MESSAGE_BURST * 3; i++) client.send({ op: 'unsub', ch: `user:${user.id}`, id: i });
    const refusal = await client.waitFor((m) => m.op === 'err');
    expect(refusal.data).toMatchObject({ code: 'REALTIME_RATE_LIMITED' });
    expect((await client.closed).code).toBe(1008);
    expect(client.messages.filter((m) => m.op === 'ack').length).toBeLessThanOrEqual(MESSAGE_BURST);
  });
});

describe('delivery', () => {
  it('streams the ingestion of your document: snapshot first (seq 0), increasing seq, ends ready', async () => {
    const user = await registerUser(t);
    const document = await uploadDocument(user.token);
    const client = await connect(user.token);
    for (const ch of [`doc:${document.id}`, `job:${document.id}`]) {
      client.send({ op: 'sub', ch, id: ch });
      expect(await reply(client, ch)).toEqual({ op: 'ack', ch, id: ch });
    }
    await t.deps.startBackground({ workers: true });

    const order = ['queued', 'extracting', 'embedding', 'summarizing', 'ready'];
    for (const ch of [`doc:${document.id}`, `job:${document.id}`]) {
      await client.waitFor((m) => m.ch === ch && (m.data as { status?: string })?.status === 'ready');
      const stream = client.messages.filter((m) => m.op === 'msg' && m.ch === ch);
      expect(stream[0]).toEqual({
        op: 'msg',
        ch,
        seq: 0,
        data: { status: 'queued', stageProgress: 0, error: null },
      });
      const seqs = stream.map((m) => m.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      const statuses = stream.map((m) => order.indexOf((m.data as { status: string }).status));
      expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
      expect(stream.length).toBeGreaterThan(2);
      // Small deltas, never the document itself.
      for (const m of stream)
        expect(Object.keys(m.data as object).sort()).toEqual(['error', 'stageProgress', 'status']);
    }
    const received = await metric(() => t.deps.metrics.wsMessages.get());
    expect(received).toBeGreaterThan(0);
  });

  it('holds a pub/sub subscription only while a local socket listens, one frame (one seq) for all', async () => {
    const user = await registerUser(t);
    const ch = `user:${user.id}`;
    const [first, second] = [await connect(user.token), await connect(user.token)];
    const channelsBefore = t.deps.realtime.fanOut.size;
    for (const client of [first, second]) {
      client.send({ op: 'sub', ch, id: 'sub' });
      await reply(client, 'sub');
    }
    expect(t.deps.realtime.fanOut.size).toBe(channelsBefore + 1);

    await t.deps.pubsub.publish(userTopic(user.id), { kind: 'posts', count: 2 });
    const delivered = await Promise.all([first, second].map((c) => c.waitFor((m) => m.op === 'msg')));
    expect(delivered[0]).toEqual({ op: 'msg', ch, seq: 1, data: { kind: 'posts', count: 2 } });
    expect(delivered[1]).toEqual(delivered[0]);

    first.send({ op: 'unsub', ch, id: 'unsub' });
    await reply(first, 'unsub');
    expect(t.deps.realtime.fanOut.size).toBe(channelsBefore + 1);
    second.send({ op: 'unsub', ch, id: 'unsub' });
    await reply(second, 'unsub');
    expect(t.deps.realtime.fanOut.size).toBe(channelsBefore);
  });

  it('drops a consumer that stops reading once its send buffer passes WS_MAX_BUFFERED_BYTES (close 1013)', async () => {
    const user = await registerUser(t);
    const slow = await connect(user.token);
    const healthy = await connect(user.token);
    for (const client of [slow, healthy]) {
      client.send({ op: 'sub', ch: `user:${user.id}`, id: 'n' });
      await reply(client, 'n');
    }
    const droppedBefore = await metric(() => t.deps.metrics.wsSlowConsumersDropped.get());
    slow.tcp.pause();
    const hint = { kind: 'hint', padding: 'x'.repeat(32 * 1024) };
    const deadline = Date.now() + 30_000;
    let published = 0;
    while ((await metric(() => t.deps.metrics.wsSlowConsumersDropped.get())) === droppedBefore) {
      expect(Date.now(), 'the slow consumer was never dropped').toBeLessThan(deadline);
      await Promise.all(Array.from({ length: 16 }, () => t.deps.pubsub.publish(userTopic(user.id), hint)));
      published += 16;
      await healthy.waitFor(() => healthy.messages.length >= published + 1);
    }
    expect(await metric(() => t.deps.metrics.wsSlowConsumersDropped.get())).toBe(droppedBefore + 1);
    slow.tcp.resume();
    expect((await slow.closed).code).toBe(1013);
    // The client that kept reading got every message and stays connected.
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
  });
});

describe('liveness and shutdown (an app of its own, pinging every 100 ms)', () => {
  let other: TestApp;
  let otherBase: string;

  beforeAll(async () => {
    other = await createTestApp({ WS_PING_INTERVAL_MS: '100' });
    otherBase = await other.app.listen({ host: '127.0.0.1', port: 0 });
  });

  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    const user = await registerUser(other);
    const dead = await connect(user.token, otherBase);
    const alive = await connect(user.token, otherBase);
    expect(other.deps.realtime.connections).toBe(2);
    dead.tcp.pause();
    // Terminated after the first ping it leaves unanswered (within two intervals); the deadline is generous.
    await pollUntil(
      'the dead peer to be terminated',
      () => (other.deps.realtime.connections === 1 ? true : undefined),
      10_000,
      20,
    );
    expect(alive.socket.readyState).toBe(alive.socket.OPEN);
    expect(await metric(() => other.deps.metrics.wsConnections.get())).toBe(1);
    dead.tcp.resume();
  });

  it('closes every WebSocket with 1001 when the app closes', async () => {
    const user = await registerUser(other);
    const sockets = [await connect(user.token, otherBase), await connect(user.token, otherBase)];
    sockets[0]!.send({ op: 'sub', ch: `user:${user.id}`, id: 'n' });
    await reply(sockets[0]!, 'n');
    await other.close();
    for (const client of sockets) expect((await client.closed).code).toBe(1001);
  });
});

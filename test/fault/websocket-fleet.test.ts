// Realtime across a fleet of real processes (DESIGN §2): two `serve` and one `worker` on one PostgreSQL and one
// Redis. The worker ingests a document; its progress reaches WebSocket clients on both serves through pub/sub, and
// so does the notification of the course it then generates, whichever process relayed the event.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  register,
  startServe,
  uniqueEmail,
  type ServeProcess,
  type Session,
} from '../e2e/serve-process.ts';
import { multipart } from '../harness/library.ts';
import { startRedis, type RedisServer } from '../harness/servers.ts';
import { openWs, wsUrl, type WsClient } from '../harness/ws-client.ts';
import { fleetEnv, startFaultPostgres, tempDataDir, type FaultPostgres } from './backends.ts';
import { killWorkers, startWorker } from './worker-process.ts';

const INGESTED_WITHIN_MS = 60_000;

let postgres: FaultPostgres | undefined;
let redis: RedisServer | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let env: Record<string, string>;
let a: ServeProcess;
let b: ServeProcess;
const clients: WsClient[] = [];
/** The first test's user and their ingested document, reused by the notification test. */
let ingested: { session: Session; documentId: string } | undefined;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRedis()]);
  data = await tempDataDir();
  env = fleetEnv(postgres, redis, data.dir);
  [a, b] = await Promise.all([startServe(env), startServe(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await killWorkers();
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove()]);
});

async function uploadTo(serve: ServeProcess, session: Session): Promise<string> {
  const text = `# Fleet notes\n\n${'Progress travels from the worker through Redis to every serve. '.repeat(60)}\n`;
  const body = multipart({}, [{ fileName: 'fleet.md', contentType: 'text/markdown', data: text }]);
  const res = await fetch(`${serve.url}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.tokens.accessToken}`, 'content-type': body.contentType },
    body: body.payload,
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

it(
  'delivers the progress of a document ingested by the worker to clients on either serve',
  async () => {
    const session = await register(a.url, uniqueEmail('ws-fleet'), 'correct horse battery staple');
    // No worker runs yet: the document waits, queued, while both clients subscribe.
    const documentId = await uploadTo(a, session);
    const ch = `doc:${documentId}`;
    for (const serve of [a, b]) {
      const client = await openWs(wsUrl(serve.url, session.tokens.accessToken));
      clients.push(client);
      client.send({ op: 'sub', ch, id: 'doc' });
      expect(await client.waitFor((m) => m.id === 'doc')).toEqual({ op: 'ack', ch, id: 'doc' });
      expect(await client.waitFor((m) => m.op === 'msg')).toMatchObject({
        seq: 0,
        data: { status: 'queued' },
      });
    }

    const worker = await startWorker(env);
    const ready = (client: WsClient) =>
      client.waitFor(
        (m) => (m.data as { status?: string } | undefined)?.status === 'ready',
        INGESTED_WITHIN_MS,
      );
    await Promise.all(clients.map(ready));

    for (const [i, client] of clients.entries()) {
      const stream = client.messages.filter((m) => m.op === 'msg');
      console.log(
        `ws fleet: serve ${i === 0 ? 'A' : 'B'} (pid ${[a, b][i]!.pid}) relayed from worker pid ${worker.pid}: ` +
          stream.map((m) => `${m.seq}:${(m.data as { status: string }).status}`).join(' '),
      );
      // Deltas (seq > 0) came through pub/sub from the worker process; the last one is `ready`.
      expect(stream.length).toBeGreaterThan(2);
      expect(stream.slice(1).every((m) => m.seq! > 0)).toBe(true);
      const seqs = stream.map((m) => m.seq!);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(stream.at(-1)!.data).toMatchObject({ status: 'ready', error: null });
    }
    // Both serves saw the same deltas, in the same order.
    const statuses = clients.map((c) =>
      c.messages.filter((m) => m.op === 'msg').map((m) => JSON.stringify(m.data)),
    );
    expect(statuses[0]).toEqual(statuses[1]);
    ingested = { session, documentId };
  },
  INGESTED_WITHIN_MS + 60_000,
);

it(
  "pushes a ready course's notification to the owner's sockets on both serves, whichever process relayed it",
  async () => {
    expect(ingested).toBeDefined();
    const { session, documentId } = ingested!;
    const auth = { authorization: `Bearer ${session.tokens.accessToken}` };
    const ch = `user:${session.user.id}`;
    const listeners: WsClient[] = [];
    for (const serve of [a, b]) {
      const client = await openWs(wsUrl(serve.url, session.tokens.accessToken));
      clients.push(client);
      listeners.push(client);
      client.send({ op: 'sub', ch, id: 'me' });
      expect(await client.waitFor((m) => m.id === 'me')).toEqual({ op: 'ack', ch, id: 'me' });
    }

    const created = await fetch(`${a.url}/api/v1/courses`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ documentIds: [documentId] }),
    });
    expect(created.status).toBe(202);
    const courseId = ((await created.json()) as { course: { id: string } }).course.id;

    // The worker generates the course; some process's relay stores the notification and publishes the push.
    const pushes = await Promise.all(
      listeners.map((client) => client.waitFor((m) => m.op === 'msg' && m.ch === ch, INGESTED_WITHIN_MS)),
    );
    const listed = await fetch(`${b.url}/api/v1/notifications`, { headers: auth });
    const { items } = (await listed.json()) as { items: { id: string; kind: string; subjectId: string }[] };
    expect(items).toEqual([expect.objectContaining({ kind: 'course.ready', subjectId: courseId })]);
    for (const push of pushes) {
      expect(push).toEqual({
        op: 'msg',
        ch,
        seq: 1,
        data: { type: 'notification', id: items[0]!.id, kind: 'course.ready' },
      });
    }
  },
  INGESTED_WITHIN_MS + 30_000,
);

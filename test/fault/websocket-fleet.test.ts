// Realtime across a fleet of real processes (DESIGN §2): two `serve` and one `worker` on one PostgreSQL and one
// Redis. The worker ingests a document; its progress reaches WebSocket clients on both serves through pub/sub.
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
  },
  INGESTED_WITHIN_MS + 60_000,
);

// Progress published while Redis is down never reaches a WebSocket (Redis pub/sub keeps nothing): once the serve's
// subscriptions are back, each job/doc channel gets a fresh snapshot as its next delta, `seq` continuing. Fleet
// processes on one PostgreSQL and a Redis killed and restarted on its port; the model (the fake OpenAI server)
// hangs, so the course job is mid-call in the worker when Redis dies, and finishes (degraded) while it is down.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  killAllProcesses,
  pollUntil,
  register,
  startServe,
  uniqueEmail,
  type ServeProcess,
  type Session,
} from '../e2e/serve-process.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-server.ts';
import { openWs, wsUrl, type ServerMessage, type WsClient } from '../harness/ws-client.ts';
import {
  fleetEnv,
  startFaultPostgres,
  startRestartableRedis,
  tempDataDir,
  type FaultPostgres,
  type RestartableRedis,
} from './backends.ts';
import { readyDocument } from './fleet-documents.ts';
import { killWorkers, startWorker } from './worker-process.ts';

const DEADLINE_MS = 60_000;

let fake: FakeOpenAi | undefined;
let postgres: FaultPostgres | undefined;
let redis: RestartableRedis | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let db: pg.Client | undefined;
let client: WsClient | undefined;
let serve: ServeProcess;
let session: Session;

beforeAll(async () => {
  [fake, postgres, redis] = await Promise.all([
    startFakeOpenAi({ dimensions: 8 }),
    startFaultPostgres(),
    startRestartableRedis(),
  ]);
  data = await tempDataDir();
  const env = {
    ...fleetEnv(postgres, redis, data.dir),
    AI_BASE_URL: fake.url,
    AI_EMBEDDING_DIMENSIONS: '8',
    // Long enough for the test to kill Redis while the call hangs, short enough to wait out.
    AI_TIMEOUT_MS: '5000',
  };
  [serve] = await Promise.all([startServe(env), startWorker(env)]);
  db = new pg.Client({ connectionString: postgres.databaseUrl });
  await db.connect();
  session = await register(serve.url, uniqueEmail('ws-reconnect'), 'correct horse battery staple');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await db?.end().catch(() => undefined);
  await killWorkers();
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove(), fake?.close()]);
});

const auth = () => ({ authorization: `Bearer ${session.tokens.accessToken}` });
const until = (what: string, check: () => Promise<boolean> | boolean, deadlineMs = DEADLINE_MS) =>
  pollUntil(what, async () => (await check()) || undefined, deadlineMs, 50);
const statusOf = (m: ServerMessage) => (m.data as { status?: string } | undefined)?.status;

async function courseStatus(id: string): Promise<string | undefined> {
  const { rows } = await db!.query<{ status: string }>('select status from courses where id = $1', [id]);
  return rows[0]?.status;
}

it('re-sends a job subscriber the current state after Redis comes back, as the next seq', async () => {
  const documentId = await readyDocument(serve.url, session.tokens.accessToken, db!, DEADLINE_MS);
  fake!.fail('hang', 100, '/v1/chat/completions');
  const calls = () => fake!.requests.filter((r) => r.path === '/v1/chat/completions').length;
  const callsBefore = calls();
  const res = await fetch(`${serve.url}/api/v1/courses`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ documentIds: [documentId] }),
  });
  expect(res.status).toBe(202);
  const { course, jobId } = (await res.json()) as { course: { id: string }; jobId: string };
  const ch = `job:${jobId}`;
  client = await openWs(wsUrl(serve.url, session.tokens.accessToken));
  client.send({ op: 'sub', ch, id: 'job' });
  expect(await client.waitFor((m) => m.id === 'job')).toEqual({ op: 'ack', ch, id: 'job' });
  await client.waitFor((m) => m.op === 'msg' && statusOf(m) === 'generating', DEADLINE_MS);

  // The worker is waiting on the model: Redis dies now, and the course finishes while it is gone.
  await until('the course call to be in flight', () => calls() > callsBefore);
  await redis!.kill();
  await until('the course to be ready', async () => (await courseStatus(course.id)) === 'ready');
  const before = client.messages.filter((m) => m.op === 'msg');
  expect(before.map(statusOf)).not.toContain('ready'); // that delta was published into the void

  await redis!.restart();
  const resent = await client.waitFor((m) => m.op === 'msg' && statusOf(m) === 'ready', DEADLINE_MS);
  expect(resent).toEqual({
    op: 'msg',
    ch,
    seq: before.at(-1)!.seq! + 1,
    data: { status: 'ready', progress: 100 },
  });
}, 150_000);

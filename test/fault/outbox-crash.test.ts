// A crash between commit and relay loses nothing (issue 7, DESIGN §5), on real processes: fleet `serve`s on one
// PostgreSQL and one Redis. A serve commits a ready course (served from the AI cache) with its `course.created`
// event, is kept from relaying it (or from acknowledging it) by a trigger the test puts on outbox_deliveries, and is
// SIGKILLed. A fresh serve then relays the event: the owner's notification exists once, the analytics counter
// moved once, and the course is in the search index.
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
import { startRedis, type RedisServer } from '../harness/servers.ts';
import { fleetEnv, startFaultPostgres, tempDataDir, type FaultPostgres } from './backends.ts';
import { readyDocument } from './fleet-documents.ts';
import { killWorkers, startWorker } from './worker-process.ts';

const READY_WITHIN_MS = 60_000;
const COURSE_CONSUMERS = ['courseAnalytics', 'courseNotifications', 'courseSearchIndex'];

let postgres: FaultPostgres | undefined;
let redis: RedisServer | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let db: pg.Client | undefined;
let env: Record<string, string>;
let session: Session;
let documentId: string;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startFaultPostgres(), startRedis()]);
  data = await tempDataDir();
  env = { ...fleetEnv(postgres, redis, data.dir), OUTBOX_POLL_MS: '200' };
  // A serve and a worker ingest a document and generate its course once, which fills the owner's AI cache.
  const serve = await startServe(env);
  const worker = await startWorker(env);
  db = new pg.Client({ connectionString: postgres.databaseUrl });
  await db.connect();
  session = await register(serve.url, uniqueEmail('outbox-crash'), 'correct horse battery staple');
  documentId = await readyDocument(serve.url, session.tokens.accessToken, db, READY_WITHIN_MS);
  const first = await postCourse(serve);
  expect(first.status).toBe(202);
  await until('the first course to be ready', () => courseReady(first.courseId), READY_WITHIN_MS, 100);
  await until('every delivery so far', async () => (await undelivered()) === 0, READY_WITHIN_MS, 100);
  // From here on no process runs but the ones each test starts.
  await Promise.all([worker.stop('SIGKILL'), serve.stop('SIGKILL')]);
}, 180_000);

afterAll(async () => {
  await db?.end().catch(() => undefined);
  await killWorkers();
  await killAllProcesses();
  await Promise.allSettled([redis?.stop(), postgres?.stop(), data?.remove()]);
});

/** Polls `check` until it is true. */
const until = (what: string, check: () => Promise<boolean>, deadlineMs: number, intervalMs = 100) =>
  pollUntil(what, async () => (await check()) || undefined, deadlineMs, intervalMs);

const auth = () => ({ authorization: `Bearer ${session.tokens.accessToken}` });

async function postCourse(serve: ServeProcess): Promise<{ status: number; courseId: string }> {
  const res = await fetch(`${serve.url}/api/v1/courses`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ documentIds: [documentId] }),
  });
  const body = (await res.json()) as { course?: { id: string } };
  if (!body.course) throw new Error(`POST /api/v1/courses answered ${res.status}: ${JSON.stringify(body)}`);
  return { status: res.status, courseId: body.course.id };
}

async function courseReady(courseId: string): Promise<boolean> {
  const { rows } = await db!.query<{ status: string }>('select status from courses where id = $1', [
    courseId,
  ]);
  return rows[0]?.status === 'ready';
}

async function undelivered(eventId?: string): Promise<number> {
  const { rows } = await db!.query<{ n: number }>(
    'select count(*)::int as n from outbox_deliveries where delivered_at is null and ($1::uuid is null or event_id = $1)',
    [eventId ?? null],
  );
  return rows[0]!.n;
}

/** Makes every UPDATE of outbox_deliveries matching `when` fail until the returned function (idempotent) runs. */
async function blockDeliveries(when: string): Promise<() => Promise<void>> {
  await db!.query(`
    create function block_outbox_deliveries() returns trigger language plpgsql as $$
    begin raise exception 'outbox deliveries blocked by the test'; end $$;
    create trigger block_outbox_deliveries before update on outbox_deliveries
    for each row when (${when}) execute function block_outbox_deliveries();`);
  return async () => {
    await db!.query(`
      drop trigger if exists block_outbox_deliveries on outbox_deliveries;
      drop function if exists block_outbox_deliveries();`);
  };
}

/** Commits a course served from the cache through a serve whose deliveries are blocked; its `course.created` id. */
async function commitCachedCourse(serve: ServeProcess): Promise<{ courseId: string; eventId: string }> {
  const { status, courseId } = await postCourse(serve);
  expect(status).toBe(200);
  const { rows } = await db!.query<{ id: string }>(
    `select id from outbox_events where type = 'course.created' and aggregate_id = $1`,
    [courseId],
  );
  expect(rows).toHaveLength(1);
  return { courseId, eventId: rows[0]!.id };
}

/** Relays what is due through a fresh serve, then checks each effect of `course.created` happened once. */
async function relayedOnceByAFreshServe(courseId: string, eventId: string, countedBy: 'fresh' | 'dead') {
  const fresh = await startServe(env);
  await until(
    'the fresh serve to deliver the event',
    async () => (await undelivered(eventId)) === 0,
    30_000,
    50,
  );

  const { rows: deliveries } = await db!.query<{ consumer: string }>(
    'select consumer from outbox_deliveries where event_id = $1 and delivered_at is not null order by consumer',
    [eventId],
  );
  expect(deliveries.map((d) => d.consumer)).toEqual(COURSE_CONSUMERS);
  const { rows: notifications } = await db!.query(`select kind from notifications where event_id = $1`, [
    eventId,
  ]);
  expect(notifications).toEqual([{ kind: 'course.ready' }]);
  const { rows: claims } = await db!.query(`select consumer from consumed_events where event_id = $1`, [
    eventId,
  ]);
  expect(claims).toEqual([{ consumer: 'courseAnalytics' }]);
  const { rows: indexed } = await db!.query('select owner_id from course_search where course_id = $1', [
    courseId,
  ]);
  expect(indexed).toEqual([{ owner_id: session.user.id }]);
  // The counter moves in the process that claimed the event first, and only there.
  const metrics = await (await fetch(`${fresh.url}/metrics`)).text();
  const counted = /^course_events_total\{type="course\.created"\} (\d+)$/m.exec(metrics)?.[1];
  expect(Number(counted ?? 0)).toBe(countedBy === 'fresh' ? 1 : 0);
  await fresh.stop('SIGKILL');
}

it('an event committed by a serve that died before relaying it is relayed once by the next process', async () => {
  const serve = await startServe(env);
  const unblock = await blockDeliveries('true');
  try {
    const { courseId, eventId } = await commitCachedCourse(serve);
    // The commit's nudge sent the relay at once: it claimed nothing (its claim failed), and now it dies.
    await serve.waitForLine((l) => l.msg === 'outbox relay could not reach the database; retrying', 10_000);
    await serve.stop('SIGKILL');
    expect(await undelivered(eventId)).toBe(COURSE_CONSUMERS.length);
    await unblock();
    await relayedOnceByAFreshServe(courseId, eventId, 'fresh');
  } finally {
    await unblock();
  }
}, 120_000);

it('a delivery whose effect was done by a serve that died before acknowledging it has its effect once', async () => {
  const serve = await startServe(env);
  // Claims go through; acknowledgements do not: every consumer runs, then fails to mark its delivery done.
  const unblock = await blockDeliveries('new.delivered_at is not null');
  try {
    const { courseId, eventId } = await commitCachedCourse(serve);
    for (const consumer of COURSE_CONSUMERS) {
      await serve.waitForLine(
        (l) =>
          l.msg === 'outbox delivery failed; will retry' && l.consumer === consumer && l.eventId === eventId,
        10_000,
      );
    }
    await serve.stop('SIGKILL');
    expect(await undelivered(eventId)).toBe(COURSE_CONSUMERS.length);
    await unblock();
    // Skip the retry backoff the dead serve scheduled.
    await db!.query('update outbox_deliveries set next_attempt_at = now() where event_id = $1', [eventId]);
    await relayedOnceByAFreshServe(courseId, eventId, 'dead');
  } finally {
    await unblock();
  }
}, 120_000);

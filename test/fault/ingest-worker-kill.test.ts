// Workers SIGKILLed, and Redis killed with every queued job in it, in the middle of ingestion (DESIGN §2, §7):
// fleet mode, BullMQ with a short lock and stalled check, vectors through a PGlite served by pglite-socket. The
// database is the source of truth: the reconcile sweep, the outbox's retried enqueues and BullMQ's stalled check
// bring every document to `ready` exactly once, with the same chunks and vectors a run without faults produces
// from the same files on the same build.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generatePdf, sampleProse } from '../fixtures/pdfs.ts';
import {
  killAllProcesses,
  pollUntil,
  register,
  request,
  startServe,
  uniqueEmail,
  type ServeProcess,
  type Session,
} from '../e2e/serve-process.ts';
import { testEnv } from '../harness/env.ts';
import { multipart, type FilePart } from '../harness/library.ts';
import { copyDataDir } from '../harness/pglite-template.ts';
import {
  fleetEnv,
  rawRedisPing,
  startRestartableRedis,
  tempDataDir,
  type RestartableRedis,
} from './backends.ts';
import { startPgliteSocket, type PgliteSocket } from './pglite-socket.ts';
import { killWorkers, startWorker, type WorkerProcess } from './worker-process.ts';

/**
 * Short enough that a lost job is found within seconds (defaults: 30 s lock, 60 s stalled, 60 s sweep); so short
 * that healthy documents are revived too (a stage waiting in the queue, or an embedding batch slower than 3 s on
 * the shared PGlite, beats no heartbeat), and the invariants below must hold through those revivals as well.
 */
const FAULT_TIMING = {
  JOB_LOCK_MS: '2000',
  INGEST_STALLED_AFTER_MS: '3000',
  RECONCILE_EVERY_MS: '1000',
};
const WORKERS = 2;
/** How long each kill waits for its moment, and the documents for their end, before the test gives up. */
const KILL_MOMENT_DEADLINE_MS = 30_000;
const SETTLE_DEADLINE_MS = 120_000;
/**
 * How long Redis stays down: past JOB_LOCK_MS plus INGEST_STALLED_AFTER_MS, so every heartbeat the lost jobs
 * stopped is stale by its return, and the outbox's enqueue retries back off a few rounds meanwhile.
 */
const REDIS_OUTAGE_MS = 6_000;
/** The API is probed this often (two requests) while Redis is down. */
const PROBE_EVERY_MS = 100;
const PASSWORD = 'correct horse battery staple';

let socket: PgliteSocket | undefined;
let pgliteDir: string | undefined;
let redis: RestartableRedis | undefined;
let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
let client: pg.Client | undefined;
let env: Record<string, string>;
let serve: ServeProcess;
let workers: WorkerProcess[] = [];
/** Every worker started, killed ones too (their output stays readable). */
const everyWorker: WorkerProcess[] = [];
let files: FilePart[];
/** Per file name, what the run without faults stored. */
let expected: Map<string, Facts> | undefined;

beforeAll(async () => {
  // A copy of the migrated embedded template opens in ≈ 2 s; an empty PGlite pays initdb first.
  pgliteDir = await copyDataDir(testEnv().pgliteTemplate());
  [socket, redis, data] = await Promise.all([
    startPgliteSocket({ dataDir: path.join(pgliteDir, 'db') }),
    startRestartableRedis(),
    tempDataDir(),
  ]);
  env = {
    ...fleetEnv({ databaseUrl: socket.url }, redis, data.dir),
    VECTOR_SEARCH: 'required',
    // Every process's statements are serialized onto PGlite's one session: small pools keep that queue short
    // (the default 20 work too, with about twice the slow-query warnings and more needless revivals).
    DB_POOL_MIN: '0',
    DB_POOL_MAX: '4',
    OUTBOX_POLL_MS: '200',
    // Smaller page ranges than the default 25, so the big PDF's extraction advances in many visible steps.
    INGEST_PAGES_PER_JOB: '10',
    ...FAULT_TIMING,
  };
  client = new pg.Client({ connectionString: socket.url });
  await client.connect();
  serve = await startServe(env);
  workers = await startWorkers();
  files = await batch();
}, 150_000);

afterAll(async () => {
  await client?.end().catch(() => undefined);
  await killWorkers();
  await killAllProcesses();
  await Promise.allSettled([socket?.stop(), redis?.stop(), data?.remove()]);
  if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
});

/** Several text and Markdown documents, a small PDF and a 200-page one (twenty page-range jobs). */
async function batch(): Promise<FilePart[]> {
  const paragraphs = (seed: number, count: number) =>
    Array.from({ length: count }, (_, i) => sampleProse(seed * 1000 + i, 6)).join('\n\n');
  return [
    { fileName: 'manual.pdf', contentType: 'application/pdf', data: await generatePdf({ pages: 200 }) },
    { fileName: 'brochure.pdf', contentType: 'application/pdf', data: await generatePdf({ pages: 12 }) },
    { fileName: 'saga.txt', contentType: 'text/plain', data: paragraphs(1, 1200) },
    {
      fileName: 'notes.md',
      contentType: 'text/markdown',
      data: `# Notes\n\n${paragraphs(2, 200)}\n\n## More\n\n${paragraphs(3, 200)}`,
    },
    { fileName: 'memo.txt', contentType: 'text/plain', data: paragraphs(4, 20) },
  ];
}

async function startWorkers(): Promise<WorkerProcess[]> {
  const started = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(env)));
  everyWorker.push(...started);
  return started;
}

/** POSTs one file; the answer as it came (an outage may answer something else than 201). */
async function post(
  session: Session,
  file: FilePart,
): Promise<{ status: number; type: string; json: unknown }> {
  const body = multipart({}, [file]);
  const res = await fetch(`${serve.url}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.tokens.accessToken}`, 'content-type': body.contentType },
    body: body.payload,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
}

async function upload(session: Session, file: FilePart): Promise<string> {
  const res = await post(session, file);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return (res.json as { id: string }).id;
}

interface Batch {
  session: Session;
  ids: Map<string, string>;
}

/** Uploads the batch as a new user; document ids by file name. */
async function uploadBatch(prefix: string): Promise<Batch> {
  const session = await register(serve.url, uniqueEmail(prefix), PASSWORD);
  const ids = new Map<string, string>();
  for (const file of files) ids.set(file.fileName, await upload(session, file));
  return { session, ids };
}

/**
 * Deletes a batch's documents, so the next run embeds its chunks itself instead of copying these vectors
 * (identical text reuses its vector).
 */
async function deleteBatch({ session, ids }: Batch): Promise<void> {
  for (const id of ids.values()) {
    const res = await fetch(`${serve.url}/api/v1/documents/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.tokens.accessToken}` },
    });
    expect(res.status).toBe(204);
  }
  const { rows } = await client!.query<{ n: number }>('select count(*)::int as n from chunk_embeddings');
  expect(rows[0]!.n).toBe(0);
}

/** The batch a fault case left behind (all ready when it passed), deleted by the next case. */
let leftover: Batch | undefined;

interface Progress {
  id: string;
  status: string;
  generation: number;
  stage_progress: number;
  pages_done: number;
  page_count: number | null;
}

async function progress(ids: Map<string, string>): Promise<Progress[]> {
  const { rows } = await client!.query<Progress>(
    `select id, status, generation, stage_progress, pages_done, page_count
     from documents where id = any($1::uuid[]) order by id`,
    [[...ids.values()]],
  );
  return rows;
}

/**
 * Waits until no document of `ids` is active any more; how long it took, and when (ms from the start) each
 * document was first seen in each status, e.g. `saga.txt extracting@0 embedding@310 … ready@2900`.
 */
async function settle(ids: Map<string, string>): Promise<{ ms: number; timeline: string }> {
  const started = performance.now();
  const names = new Map([...ids].map(([name, id]) => [id, name]));
  const seen = new Map<string, string[]>();
  await pollUntil(
    'every document to end ready or failed',
    async () => {
      const rows = await progress(ids);
      const at = Math.round(performance.now() - started);
      for (const r of rows) {
        const steps = seen.get(r.id) ?? [];
        if (!steps.at(-1)?.startsWith(`${r.status}@`)) steps.push(`${r.status}@${at}`);
        seen.set(r.id, steps);
      }
      return rows.every((r) => r.status === 'ready' || r.status === 'failed') ? rows : undefined;
    },
    SETTLE_DEADLINE_MS,
    50,
  );
  const timeline = [...seen].map(([id, steps]) => `${names.get(id)} ${steps.join(' ')}`).join('; ');
  return { ms: Math.round(performance.now() - started), timeline };
}

interface Facts {
  status: string;
  error: string | null;
  chunkCount: number | null;
  chunks: number;
  distinctOrds: number;
  /** md5 over the chunks' text hashes and page ranges, in order. */
  chunkDigest: string | null;
  embeddings: number;
  /** md5 over every stored vector with its chunk ord and window. */
  embeddingDigest: string | null;
  readyEvents: number;
  summaries: number;
  leftoverPages: number;
}

/** What the database holds for each document (by file name). */
async function facts(ids: Map<string, string>): Promise<Map<string, Facts>> {
  const list = [...ids.values()];
  const one = async <R extends pg.QueryResultRow>(sql: string) =>
    new Map((await client!.query<R & { id: string }>(sql, [list])).rows.map((r) => [r.id, r]));
  // One after the other: a pg.Client runs one query at a time.
  const documents = await one<{ status: string; error: string | null; chunk_count: number | null }>(
    'select id, status, error, chunk_count from documents where id = any($1::uuid[])',
  );
  const chunks = await one<{ n: number; ords: number; digest: string }>(
    `select document_id as id, count(*)::int as n, count(distinct ord)::int as ords,
         md5(string_agg(ord || ':' || page_from || '-' || page_to || ':' || text_sha256, ',' order by ord)) as digest
       from chunks where document_id = any($1::uuid[]) group by document_id`,
  );
  const embeddings = await one<{ n: number; digest: string }>(
    `select c.document_id as id, count(*)::int as n,
         md5(string_agg(c.ord || ':' || e.window_ord || ':' || e.embedding::text, ','
           order by c.ord, e.window_ord)) as digest
       from chunks c join chunk_embeddings e on e.chunk_id = c.id
       where c.document_id = any($1::uuid[]) group by c.document_id`,
  );
  const events = await one<{ n: number }>(
    `select aggregate_id as id, count(*)::int as n from outbox_events
       where type = 'document.ready' and aggregate_id = any($1::text[]) group by aggregate_id`,
  );
  const summaries = await one<{ n: number }>(
    `select document_id as id, count(*)::int as n from summaries
       where document_id = any($1::uuid[]) group by document_id`,
  );
  const pages = await one<{ n: number }>(
    `select document_id as id, count(*)::int as n from document_pages
       where document_id = any($1::uuid[]) group by document_id`,
  );
  const result = new Map<string, Facts>();
  for (const [name, id] of ids) {
    const document = documents.get(id);
    result.set(name, {
      status: document?.status ?? 'missing',
      error: document?.error ?? null,
      chunkCount: document?.chunk_count ?? null,
      chunks: chunks.get(id)?.n ?? 0,
      distinctOrds: chunks.get(id)?.ords ?? 0,
      chunkDigest: chunks.get(id)?.digest ?? null,
      embeddings: embeddings.get(id)?.n ?? 0,
      embeddingDigest: embeddings.get(id)?.digest ?? null,
      readyEvents: events.get(id)?.n ?? 0,
      summaries: summaries.get(id)?.n ?? 0,
      leftoverPages: pages.get(id)?.n ?? 0,
    });
  }
  return result;
}

const brief = (rows: Progress[], ids: Map<string, string>) => {
  const names = new Map([...ids].map(([name, id]) => [id, name]));
  return rows
    .map((r) => `${names.get(r.id)}=${r.status}@g${r.generation}:${(r.stage_progress * 100).toFixed(0)}%`)
    .join(' ');
};

/** Warnings and errors every process logged since `sinceMs` (epoch), by message; the sweeps' revivals counted. */
function warningsSince(sinceMs: number): Record<string, number> {
  const warnings = new Map<string, number>();
  for (const line of [...serve.lines, ...everyWorker.flatMap((w) => w.lines)]) {
    if (Number(line.level) < 40 || Date.parse(String(line.time)) < sinceMs) continue;
    const count = line.msg === 're-enqueued stalled work' ? Number(line.revived) : 1;
    warnings.set(String(line.msg), (warnings.get(String(line.msg)) ?? 0) + count);
  }
  return Object.fromEntries(warnings);
}

/** Every document ready once, with the chunks and vectors of the run without faults (by file name). */
function expectLikeClean(got: Map<string, Facts>): void {
  for (const [name, f] of got) {
    const clean = expected!.get(name)!;
    expect({ name, status: f.status, error: f.error }).toEqual({ name, status: 'ready', error: null });
    expect({
      name,
      readyEvents: f.readyEvents,
      summaries: f.summaries,
      leftoverPages: f.leftoverPages,
    }).toEqual({ name, readyEvents: 1, summaries: 1, leftoverPages: 0 });
    // No duplicate chunks ((document_id, ord) is unique, so a duplicate would show as a different count).
    expect({ name, chunks: f.chunks, distinctOrds: f.distinctOrds, chunkCount: f.chunkCount }).toEqual({
      name,
      chunks: clean.chunks,
      distinctOrds: clean.chunks,
      chunkCount: clean.chunks,
    });
    expect({ name, digest: f.chunkDigest }).toEqual({ name, digest: clean.chunkDigest });
    expect({ name, embeddings: f.embeddings, digest: f.embeddingDigest }).toEqual({
      name,
      embeddings: clean.embeddings,
      digest: clean.embeddingDigest,
    });
  }
}

/** Waits for `when`, then SIGKILLs every worker and starts fresh ones; the documents as the kill found them. */
async function killWorkersWhen(
  what: string,
  ids: Map<string, string>,
  when: (rows: Progress[]) => boolean,
): Promise<Progress[]> {
  const rows = await pollUntil(
    what,
    async () => {
      const now = await progress(ids);
      return when(now) ? now : undefined;
    },
    KILL_MOMENT_DEADLINE_MS,
    25,
  );
  const exits = await Promise.all(workers.map((w) => w.stop('SIGKILL', 10_000)));
  expect(exits.map((e) => e.signal)).toEqual(workers.map(() => 'SIGKILL'));
  const restarted = performance.now();
  workers = await startWorkers();
  console.log(
    `ingest kill (${what}): ${brief(rows, ids)}; ${WORKERS} fresh workers up in ` +
      `${Math.round(performance.now() - restarted)} ms`,
  );
  return rows;
}

it('ingests the batch without faults: the counts every later run must reproduce', async () => {
  const { session, ids } = await uploadBatch('ingest-clean');
  const { ms, timeline } = await settle(ids);
  expected = await facts(ids);
  console.log(
    `ingest clean run: ${ms} ms (${timeline}); now ${brief(await progress(ids), ids)}; ` +
      [...expected].map(([name, f]) => `${name}: ${f.chunks} chunks, ${f.embeddings} vectors`).join('; '),
  );
  for (const [name, f] of expected) {
    expect({ name, status: f.status, error: f.error }).toEqual({ name, status: 'ready', error: null });
    expect(f.chunks).toBeGreaterThan(0);
    expect(f.embeddings).toBeGreaterThanOrEqual(f.chunks);
    expect(f.readyEvents).toBe(1);
  }
  await deleteBatch({ session, ids });
});

it('SIGKILLed workers while extracting and while embedding: every document ready once, same chunks and vectors', async () => {
  expect(expected, 'the run without faults').toBeDefined();
  const startedAt = Date.now();
  const uploaded = await uploadBatch('ingest-kill');
  const { ids } = uploaded;
  const pdfId = ids.get('manual.pdf')!;
  const started = performance.now();

  // Round 1: the 200-page PDF part-way through its page ranges.
  const partlyExtracted = (r: Progress) =>
    r.id === pdfId && r.status === 'extracting' && r.pages_done > 0 && r.pages_done < (r.page_count ?? 0);
  const first = await killWorkersWhen('manual.pdf extracting', ids, (rows) => rows.some(partlyExtracted));
  expect(first.some(partlyExtracted)).toBe(true);

  // Round 2: some document with part of its vectors stored.
  const second = await killWorkersWhen('a document embedding', ids, (rows) =>
    rows.some((r) => r.status === 'embedding' && r.stage_progress > 0 && r.stage_progress < 1),
  );
  expect(second.some((r) => r.status === 'embedding')).toBe(true);

  const { ms, timeline } = await settle(ids);
  const got = await facts(ids);
  console.log(
    `ingest after two kills: settled ${ms} ms after the second kill, ` +
      `${Math.round(performance.now() - started)} ms from upload (${timeline}); ` +
      `now ${brief(await progress(ids), ids)}; warnings: ${JSON.stringify(warningsSince(startedAt))}`,
  );
  expectLikeClean(got);
  leftover = uploaded;
  // Two kill moments, two restarts and the settle deadline: more than the fault project's 180 s at worst.
}, 240_000);

/** BullMQ's sorted set of job schedulers for the queue (QUEUE_NAME's default), and the one the workers set. */
const SCHEDULERS = 'bull:lectern:repeat';
const PRUNE = 'maintenance.prune';

/** BullMQ's job lists and sets for the queue (QUEUE_NAME's default) on a direct connection. */
async function queuedJobs(raw: Redis): Promise<Record<string, number>> {
  const key = (state: string) => `bull:lectern:${state}`;
  const [wait, active, delayed, prioritized] = await Promise.all([
    raw.llen(key('wait')),
    raw.llen(key('active')),
    raw.zcard(key('delayed')),
    raw.zcard(key('prioritized')),
  ]);
  return { wait, active, delayed, prioritized };
}

interface Answer {
  route: string;
  status: number;
  type: string;
  code?: string;
}

it('Redis killed with its queued jobs while documents extract and embed: the API answers, uploads are taken, every document ready once, same chunks and vectors', async () => {
  expect(expected, 'the run without faults').toBeDefined();
  if (leftover) await deleteBatch(leftover);
  leftover = undefined;
  const startedAt = Date.now();
  const uploaded = await uploadBatch('ingest-redis');
  const { session, ids } = uploaded;
  const auth = { authorization: `Bearer ${session.tokens.accessToken}` };
  const pdfId = ids.get('manual.pdf')!;
  // Registered before the outage: signing up through one is redis-outage.test.ts's subject, not this one's.
  const late = await register(serve.url, uniqueEmail('ingest-redis-late'), PASSWORD);
  const lateFile = files.find((f) => f.fileName === 'memo.txt')!;

  // The throwaway Redis persists nothing (`--save ''`, no AOF): what it holds dies with its process. A marker
  // written now shows after the restart that the data really went.
  const marker = `lectern-fault:${randomUUID()}`;
  const raw = new Redis(redis!.url, { maxRetriesPerRequest: 0 });
  let queued: Record<string, number>;
  let rows: Progress[];
  try {
    expect(await raw.config('GET', 'save')).toEqual(['save', '']);
    expect(await raw.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    await raw.set(marker, 'written before the kill');
    // Some document extracting (page ranges or its chunk stage still to run: jobs in the queue, or running)
    // while another embeds. Which ones depends on how the workers took the jobs (FIFO, two at a time).
    const seen: string[] = [];
    rows = await pollUntil(
      'a document extracting while another embeds',
      async () => {
        const now = await progress(ids);
        if (seen.at(-1) !== brief(now, ids)) seen.push(brief(now, ids));
        const stages = new Set(now.map((r) => r.status));
        return stages.has('extracting') && stages.has('embedding') ? now : undefined;
      },
      KILL_MOMENT_DEADLINE_MS,
      25,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; seen: ${seen.join(' → ')}`);
    });
    queued = await queuedJobs(raw);
    expect(await raw.zscore(SCHEDULERS, PRUNE), 'the prune schedule before the kill').not.toBeNull();
  } finally {
    raw.disconnect();
  }
  await redis!.kill();
  const killed = performance.now();

  // While Redis is down: an upload, and the library read over and over.
  const answers: Answer[] = [];
  const lateUpload = post(late, lateFile).then((answer) => ({ ...answer, ms: performance.now() - killed }));
  lateUpload.catch(() => undefined); // awaited below; not unhandled if a probe throws first
  while (performance.now() - killed < REDIS_OUTAGE_MS) {
    for (const [route, url] of [
      ['GET /documents', `${serve.url}/api/v1/documents`],
      ['GET /documents/:id', `${serve.url}/api/v1/documents/${pdfId}`],
    ] as const) {
      const res = await request(url, { headers: auth, timeoutMs: 10_000 });
      const code = (res.json as { code?: string } | undefined)?.code;
      answers.push({ route, status: res.status, type: String(res.headers['content-type']), code });
    }
    // Paced well inside RATE_LIMIT_USER_PER_MINUTE, which the per-process memory limiter enforces meanwhile.
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
  const lateAnswer = await lateUpload;
  const outageMs = performance.now() - killed;
  await expect(rawRedisPing(redis!.port)).rejects.toThrow();
  await redis!.restart();
  const restarted = performance.now();
  const fresh = new Redis(redis!.url, { maxRetriesPerRequest: 0 });
  try {
    expect(await fresh.get(marker), 'a key written before the kill').toBeNull();
    // The workers put the schedule of the daily prune back (it lived only in the Redis that was lost).
    await pollUntil(
      'the prune schedule back in Redis',
      async () => ((await fresh.zscore(SCHEDULERS, PRUNE)) === null ? undefined : true),
      10_000,
    );
  } finally {
    fresh.disconnect();
  }
  const statuses = new Map<string, number>();
  for (const { route, status } of answers)
    statuses.set(`${route} ${status}`, (statuses.get(`${route} ${status}`) ?? 0) + 1);
  console.log(
    `ingest Redis kill: at ${brief(rows, ids)} with BullMQ holding ${JSON.stringify(queued)}; down ` +
      `${Math.round(outageMs)} ms; answers meanwhile ${JSON.stringify(Object.fromEntries(statuses))}; upload ` +
      `meanwhile ${lateAnswer.status} in ${Math.round(lateAnswer.ms)} ms`,
  );
  // The API answered throughout: reads come from SQL (the cache falls back to memory, so do the rate limiters).
  expect(answers.length).toBeGreaterThanOrEqual(10);
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  // An upload is a SQL commit with its outbox row: acknowledged while the queue is down, enqueued once it is back.
  expect(lateAnswer.status, JSON.stringify(lateAnswer.json)).toBe(201);
  const lateId = (lateAnswer.json as { id: string }).id;

  const { ms, timeline } = await settle(new Map([...ids, ['memo.txt (uploaded during the outage)', lateId]]));
  console.log(
    `ingest after the Redis restart: settled in ${ms} ms, ${Math.round(performance.now() - killed)} ms ` +
      `after the kill (${timeline}); warnings: ${JSON.stringify(warningsSince(startedAt))}`,
  );
  expect(performance.now() - restarted).toBeLessThan(SETTLE_DEADLINE_MS);
  // Every process lived through it.
  expect(serve.running()).toBe(true);
  expect(workers.map((w) => w.running())).toEqual(workers.map(() => true));
  expectLikeClean(await facts(ids));
  expectLikeClean(await facts(new Map([['memo.txt', lateId]])));
  leftover = uploaded;
}, 240_000);

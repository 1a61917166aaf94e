// `lectern seed` as an operator runs it: demo accounts and documents go through the real pipeline, the
// library, the feed (with photos) and the seeded course graph are then served, and a second run adds nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bulkDocument, bulkDocumentId, bulkSize } from '../../src/cli/seed/bulk-plan.ts';
import { atlasCourseId, COURSE_SPECS } from '../../src/cli/seed/course-plan.ts';
import { photosOf } from '../../src/cli/seed/seed-photos.ts';
import { socialPlan } from '../../src/cli/seed/social-plan.ts';
import { loadConfig } from '../../src/config.ts';
import { openDataDir } from '../../src/platform/data-dir/data-dir.ts';
import { createDatabase, type Database } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics } from '../../src/platform/observability/metrics.ts';
import { testEnv } from '../harness/env.ts';
import { adminQuery } from '../harness/test-app.ts';
import {
  killAllProcesses,
  login,
  rememberTempDir,
  removeTempDirs,
  request,
  runCli,
  startServe,
  templateDataDir,
} from './serve-process.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllProcesses();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await removeTempDirs();
});

const PASSWORD = 'seed-e2e-password';
const SEED = ['seed', '--scale', 'small', '--users', '1', '--password', PASSWORD];
const COURSE = COURSE_SPECS.small;
const COURSE_NODES = 1 + COURSE.sections + COURSE.concepts;
const PLANNED_PHOTOS = socialPlan('small', 1).posts.reduce((n, p) => n + photosOf(p.id).length, 0);
const BULK = bulkSize('small');
const BULK_CHUNKS = BULK.documents * BULK.chunksPerDocument;
const BULK_IDS = Array.from({ length: BULK.documents }, (_, n) => bulkDocumentId('demo1@example.com', n));
/** Bulk documents taken away before the second run, as if the first had stopped before writing them. */
const UNFINISHED = 5;

interface FeedItem {
  id: string;
  photos: { ord: number; url: string }[];
}

async function signIn(url: string, email: string): Promise<{ authorization: string }> {
  const signedIn = await login(url, email, PASSWORD);
  expect(signedIn.status, email).toBe(200);
  const { accessToken } = (signedIn.json as { tokens: { accessToken: string } }).tokens;
  return { authorization: `Bearer ${accessToken}` };
}

/** Every feed item of the user, page after page, through the API. */
async function wholeFeed(url: string, email: string): Promise<FeedItem[]> {
  const headers = await signIn(url, email);
  const items: FeedItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : '';
    const page = await request(`${url}/api/v1/feed?limit=100${query}`, { headers });
    expect(page.status).toBe(200);
    const body = page.json as { items: FeedItem[]; nextCursor: string | null };
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

/** Runs `read` on the data dir's database while no server runs. */
async function readDataDir<T>(dataDir: string, read: (db: Database['db']) => Promise<T>): Promise<T> {
  const dir = await openDataDir(dataDir, () => undefined);
  const database = createDatabase(loadConfig({ DATA_DIR: dataDir }), {
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  try {
    return await read(database.db);
  } finally {
    await database.close();
    await dir.release();
  }
}

/** The straightforward join (no server running): the posts each user may see, newest first. */
function referenceFeeds(dataDir: string, emails: string[]): Promise<string[][]> {
  return readDataDir(dataDir, async (db) => {
    const feeds: string[][] = [];
    for (const email of emails) {
      const { rows } = await sql<{ id: string }>`
        select p.id from posts p, users u
        where u.email = ${email} and (
          p.author_id = u.id
          or p.id in (
            select p2.id from posts p2
            join connections c on c.user_id = p2.author_id and c.peer_id = u.id and c.status = 'accepted'
            left join post_audience_tags pat on pat.post_id = p2.id
            left join connection_tags ct
              on ct.tag_id = pat.tag_id and ct.owner_id = p2.author_id and ct.peer_id = u.id
            where p2.audience = 'all' or ct.tag_id is not null
          )
        )
        order by p.created_at desc, p.id desc`.execute(db);
      feeds.push(rows.map((r) => r.id));
    }
    return feeds;
  });
}

/** Rows of the course graph and of the photos, as stored. */
function storedCounts(dataDir: string, courseId: string) {
  return readDataDir(dataDir, async (db) => {
    const { rows } = await sql<{ concepts: number; edges: number; photos: number; slots: number }>`
      select
        (select count(*)::int from concepts where course_id = ${courseId}) as concepts,
        (select count(*)::int from concept_edges e join concepts c on c.id = e.src_id
          where c.course_id = ${courseId}) as edges,
        (select count(*)::int from post_photos) as photos,
        (select count(*)::int from photo_uploads where post_id is not null) as slots`.execute(db);
    return rows[0]!;
  });
}

/** The bulk documents' chunks and vectors, the chunk indexes, and whether demo1's quota counts every file. */
function bulkState(dataDir: string) {
  return readDataDir(dataDir, async (db) => {
    const { rows } = await sql<{
      documents: number;
      chunks: number;
      unembedded: number;
      text_index: boolean;
      vector_indexes: number;
      usage_matches: boolean;
    }>`
      select
        (select count(*)::int from documents where id in (${sql.join(BULK_IDS)}) and status = 'ready') as documents,
        (select count(*)::int from chunks where document_id in (${sql.join(BULK_IDS)})) as chunks,
        (select count(*)::int from chunks c where c.document_id in (${sql.join(BULK_IDS)})
          and not exists (select 1 from chunk_embeddings e
            join embedding_spaces s on s.id = e.space_id and s.active where e.chunk_id = c.id)) as unembedded,
        exists (select 1 from pg_indexes where indexname = 'chunks_tsv_idx') as text_index,
        (select count(*)::int from pg_indexes i join embedding_spaces s
          on i.indexname = 'chunk_embeddings_space_' || s.id || '_hnsw' and s.active) as vector_indexes,
        (select u.bytes = (select sum(d.byte_size) from documents d where d.owner_id = u.owner_id)
          from storage_usage u join users on users.id = u.owner_id
          where users.email = 'demo1@example.com') as usage_matches`.execute(db);
    return rows[0]!;
  });
}

/** What an interrupted seed leaves: the last bulk documents never written, the chunk indexes dropped. */
function interruptBulkLoad(dataDir: string) {
  return readDataDir(dataDir, async (db) => {
    const unfinished = BULK_IDS.slice(-UNFINISHED);
    await sql`
      update storage_usage set bytes = bytes - (
        select sum(byte_size) from documents where id in (${sql.join(unfinished)})
      ) where owner_id = (select owner_id from documents where id = ${unfinished[0]!})`.execute(db);
    await sql`delete from documents where id in (${sql.join(unfinished)})`.execute(db);
    await sql`drop index chunks_tsv_idx`.execute(db);
    const { rows } = await sql<{ id: number }>`select id from embedding_spaces where active`.execute(db);
    await sql.raw(`drop index chunk_embeddings_space_${rows[0]!.id}_hnsw`).execute(db);
  });
}

describe('lectern seed', () => {
  it(
    'creates a processed library and a social graph once, then finds them again',
    { timeout: 300_000 },
    async () => {
      const dataDir = await templateDataDir();
      const env = { DATA_DIR: dataDir, LOG_LEVEL: 'error' };

      const first = await runCli(SEED, env, { deadlineMs: 60_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /1 users, 8 documents \(8 new\), 8 ready, 0 failed, \d+ pages, \d+ chunks/,
      );
      expect(first.stdout).toContain('demo1@example.com');
      expect(first.stderr).toMatch(/^seed .* 8\/8 processed/m); // not a TTY: plain progress lines
      expect(first.stdout).toContain(
        `Bulk corpus: ${BULK.documents} documents (${BULK.documents} new), ${BULK_CHUNKS} chunks ` +
          `(${BULK_CHUNKS} new), `,
      );
      expect(first.stdout).toContain('chunk indexes built after loading.');
      expect(first.stderr).toMatch(
        new RegExp(`^seed .* ${BULK_CHUNKS}/${BULK_CHUNKS} bulk corpus: chunks loaded`, 'm'),
      );
      expect(first.stdout).toMatch(
        /^Took [\d.]+ s: bulk corpus [\d.]+ s \(load [\d.]+ s, indexes [\d.]+ s\), library/m,
      );
      expect(await bulkState(dataDir)).toEqual({
        documents: BULK.documents,
        chunks: BULK_CHUNKS,
        unembedded: 0,
        text_index: true,
        vector_indexes: 1,
        usage_matches: true,
      });

      expect(first.stdout).toMatch(
        /Social graph: 40 members \(40 new\), (\d+) connections \(\1 new\), (\d+) posts \(\2 new\), (\d+) comments \(\3 new\), [1-9]\d* new feed entries, (\d+) photos \(\4 new\)\./,
      );
      expect(first.stdout).toContain(`${PLANNED_PHOTOS} photos (${PLANNED_PHOTOS} new)`);
      expect(first.stdout).toContain(
        `Course graph: 1 course (1 new), ${COURSE_NODES} concepts (${COURSE_NODES} new), ` +
          `${COURSE.edges} edges (${COURSE.edges} new).`,
      );
      expect(first.stderr).toMatch(/^seed .* social: done/m);

      // A run that stopped part-way is completed by the next one, indexes included.
      await interruptBulkLoad(dataDir);
      const resumed = await runCli(SEED, env, { deadlineMs: 60_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(
        `Bulk corpus: ${BULK.documents} documents (${UNFINISHED} new), ${BULK_CHUNKS} chunks ` +
          `(${UNFINISHED * BULK.chunksPerDocument} new), `,
      );

      const second = await runCli(SEED, env, { deadlineMs: 60_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/1 users, 8 documents \(0 new\), 8 ready/);
      expect(second.stdout).toContain('(existing)');
      expect(second.stdout).toContain(
        `Bulk corpus: ${BULK.documents} documents (0 new), ${BULK_CHUNKS} chunks (0 new), 0 vectors embedded.`,
      );
      expect(await bulkState(dataDir)).toEqual({
        documents: BULK.documents,
        chunks: BULK_CHUNKS,
        unembedded: 0,
        text_index: true,
        vector_indexes: 1,
        usage_matches: true,
      });
      expect(second.stdout).toMatch(
        /Social graph: 40 members \(0 new\), \d+ connections \(0 new\), \d+ posts \(0 new\), \d+ comments \(0 new\), 0 new feed entries, \d+ photos \(0 new\)\./,
      );
      expect(second.stdout).toContain(
        `Course graph: 1 course (0 new), ${COURSE_NODES} concepts (0 new), ${COURSE.edges} edges (0 new).`,
      );

      const server = await startServe({ DATA_DIR: dataDir });
      const viewers = ['demo1@example.com', 'member0001@example.com', 'member0020@example.com'];
      const feeds: FeedItem[][] = [];
      for (const email of viewers) feeds.push(await wholeFeed(server.url, email));
      const headers = await signIn(server.url, 'demo1@example.com');
      const page = await request(`${server.url}/api/v1/documents?limit=100`, { headers });
      const items = (page.json as { items: { status: string; mime: string; tags: string[] }[] }).items;
      expect(items).toHaveLength(8 + BULK.documents);
      expect(items.every((d) => d.status === 'ready')).toBe(true);
      expect(new Set(items.map((d) => d.mime))).toEqual(
        new Set(['application/pdf', 'text/markdown', 'text/plain']),
      );

      // A bulk document is served like an ingested one: metadata, file, chunks, summary, and search finds it.
      const planned = bulkDocument({ id: '', email: 'demo1@example.com', index: 0 }, 0, 'small', new Date());
      const bulkUrl = `${server.url}/api/v1/documents/${BULK_IDS[0]}`;
      const bulkDoc = await request(bulkUrl, { headers });
      expect(bulkDoc.status).toBe(200);
      expect(bulkDoc.json).toMatchObject({
        status: 'ready',
        mime: 'text/plain',
        pageCount: 1,
        chunkCount: BULK.chunksPerDocument,
        embedding: 'done',
        sha256: planned.sha256,
      });
      const file = await request(`${bulkUrl}/file`, { headers });
      expect(file.status).toBe(200);
      expect(file.body).toBe(planned.text);
      expect((await request(`${bulkUrl}/summary`, { headers })).status).toBe(200);
      const chunkPage = await request(`${bulkUrl}/chunks?limit=100`, { headers });
      const chunkTexts = (chunkPage.json as { items: { text: string }[] }).items.map((c) => c.text);
      expect(chunkTexts).toEqual(planned.chunks.map((c) => c.text));
      const query = encodeURIComponent(planned.chunks[0]!.text.split('. ')[0]!);
      const bulkIds = new Set(BULK_IDS);
      for (const mode of ['hybrid', 'vector', 'text']) {
        const found = await request(`${server.url}/api/v1/search?q=${query}&mode=${mode}&limit=20`, {
          headers,
        });
        expect(found.status, mode).toBe(200);
        const { hits, space } = found.json as { hits: { documentId: string }[]; space: unknown };
        if (mode !== 'text') expect(space, mode).not.toBeNull();
        expect(
          hits.some((h) => bulkIds.has(h.documentId)),
          mode,
        ).toBe(true);
      }

      // Seeded photos are served like uploaded ones: signed URLs to PNG bytes.
      const photos = feeds[0]!.flatMap((item) => item.photos);
      expect(photos.length).toBeGreaterThan(0);
      for (const photo of photos.slice(0, 3)) {
        const response = await fetch(new URL(photo.url, server.url));
        expect(response.status, photo.url).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/png');
        expect(
          Buffer.from(await response.arrayBuffer())
            .subarray(1, 4)
            .toString(),
        ).toBe('PNG');
      }

      // demo1's course graph: the depth-3 walk reaches every level and stops at the node cap.
      const courseId = atlasCourseId('demo1@example.com');
      const walk = await request(`${server.url}/api/v1/courses/${courseId}/concepts?depth=3&limit=100`, {
        headers,
      });
      expect(walk.status).toBe(200);
      const walked = walk.json as { items: { depth: number }[]; truncated: boolean };
      expect(walked.truncated).toBe(true);
      expect([1, 2, 3].map((d) => walked.items.filter((i) => i.depth === d).length)).toEqual([
        COURSE.sections,
        COURSE.sections * COURSE.keyConcepts,
        100 - COURSE.sections * (1 + COURSE.keyConcepts),
      ]);

      // Each seeded feed is what the fan-out job would have written: it equals the reference join.
      await server.stop();
      const reference = await referenceFeeds(dataDir, viewers);
      expect(feeds[0]!.length).toBeGreaterThan(40);
      for (const [i, email] of viewers.entries()) {
        expect(
          feeds[i]!.map((item) => item.id),
          email,
        ).toEqual(reference[i]);
      }
      expect(await storedCounts(dataDir, courseId)).toEqual({
        concepts: COURSE_NODES,
        edges: COURSE.edges,
        photos: PLANNED_PHOTOS,
        slots: PLANNED_PHOTOS,
      });
    },
  );

  it(
    'loads the bulk corpus into PostgreSQL without pgvector: text and tsv, no vectors, the text index rebuilt',
    { timeout: 240_000 },
    async () => {
      const server = testEnv().postgresUrl();
      const name = `lectern_seed_${randomBytes(6).toString('hex')}`;
      await adminQuery(server, `create database ${name} template lectern_template`);
      cleanups.push(() => adminQuery(server, `drop database if exists ${name} with (force)`));
      const url = new URL(server);
      url.pathname = `/${name}`;
      const secret = () => randomBytes(32).toString('base64url');
      const env = {
        DATABASE_URL: url.toString(),
        REDIS_URL: testEnv().redisUrl(),
        QUEUE_NAME: name.replaceAll('_', '-'),
        VECTOR_SEARCH: 'off',
        JWT_SECRET: secret(),
        URL_SIGNING_SECRET: secret(),
        DATA_DIR: rememberTempDir(await mkdtemp(path.join(os.tmpdir(), 'lectern-seed-fleet-'))),
        LOG_LEVEL: 'error',
      };
      // The pipeline's documents need a worker; it is stopped with the other processes after the test.
      void runCli(['worker'], env, { deadlineMs: 200_000 });

      const first = await runCli(SEED, env, { deadlineMs: 120_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/1 users, 8 documents \(8 new\), 8 ready, 0 failed/);
      expect(first.stdout).toContain(
        `Bulk corpus: ${BULK.documents} documents (${BULK.documents} new), ${BULK_CHUNKS} chunks ` +
          `(${BULK_CHUNKS} new), no vectors (vector search is off); chunk indexes built after loading.`,
      );
      const second = await runCli(SEED, env, { deadlineMs: 120_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain(
        `Bulk corpus: ${BULK.documents} documents (0 new), ${BULK_CHUNKS} chunks (0 new), no vectors`,
      );

      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{
          chunks: number;
          with_tsv: number;
          skipped: number;
          index: boolean;
        }>(
          `select
            (select count(*)::int from chunks where document_id = any($1)) as chunks,
            (select count(*)::int from chunks where document_id = any($1) and length(tsv) > 0) as with_tsv,
            (select count(*)::int from documents where id = any($1) and status = 'ready' and embedding = 'skipped') as skipped,
            exists (select 1 from pg_indexes where indexname = 'chunks_tsv_idx') as index`,
          [BULK_IDS],
        );
        expect(rows[0]).toEqual({
          chunks: BULK_CHUNKS,
          with_tsv: BULK_CHUNKS,
          skipped: BULK.documents,
          index: true,
        });
      } finally {
        await client.end();
      }
    },
  );

  it('refuses an unknown scale with exit code 2', async () => {
    const result = await runCli(['seed', '--scale', 'huge'], { DATA_DIR: await templateDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--scale must be one of small, medium, large');
  });
});

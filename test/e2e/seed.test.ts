// `lectern seed` as an operator runs it: demo accounts and documents go through the real pipeline, the
// library then serves them, and a second run adds nothing.
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDataDir } from '../../src/platform/data-dir/data-dir.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics } from '../../src/platform/observability/metrics.ts';
import {
  killAllProcesses,
  login,
  removeTempDirs,
  request,
  runCli,
  startServe,
  templateDataDir,
} from './serve-process.ts';

afterEach(async () => {
  await killAllProcesses();
});
afterAll(async () => {
  await removeTempDirs();
});

const PASSWORD = 'seed-e2e-password';
const SEED = ['seed', '--scale', 'small', '--users', '1', '--password', PASSWORD];

/** Every feed item id of the user, page after page, through the API. */
async function wholeFeed(url: string, email: string): Promise<string[]> {
  const signedIn = await login(url, email, PASSWORD);
  expect(signedIn.status, email).toBe(200);
  const { accessToken } = (signedIn.json as { tokens: { accessToken: string } }).tokens;
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : '';
    const page = await request(`${url}/api/v1/feed?limit=100${query}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(page.status).toBe(200);
    const body = page.json as { items: { id: string }[]; nextCursor: string | null };
    ids.push(...body.items.map((i) => i.id));
    cursor = body.nextCursor;
  } while (cursor);
  return ids;
}

/** The straightforward join over the data dir (no server running): the posts each user may see, newest first. */
async function referenceFeeds(dataDir: string, emails: string[]): Promise<string[][]> {
  const dir = await openDataDir(dataDir, () => undefined);
  const database = createDatabase(loadConfig({ DATA_DIR: dataDir }), {
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  try {
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
        order by p.created_at desc, p.id desc`.execute(database.db);
      feeds.push(rows.map((r) => r.id));
    }
    return feeds;
  } finally {
    await database.close();
    await dir.release();
  }
}

describe('lectern seed', () => {
  it(
    'creates a processed library and a social graph once, then finds them again',
    { timeout: 180_000 },
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
      expect(first.stdout).toMatch(
        /Social graph: 40 members \(40 new\), (\d+) connections \(\1 new\), (\d+) posts \(\2 new\), (\d+) comments \(\3 new\), [1-9]\d* new feed entries\./,
      );
      expect(first.stderr).toMatch(/^seed .* social: done/m);

      const second = await runCli(SEED, env, { deadlineMs: 60_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/1 users, 8 documents \(0 new\), 8 ready/);
      expect(second.stdout).toContain('(existing)');
      expect(second.stdout).toMatch(
        /Social graph: 40 members \(0 new\), \d+ connections \(0 new\), \d+ posts \(0 new\), \d+ comments \(0 new\), 0 new feed entries\./,
      );

      const server = await startServe({ DATA_DIR: dataDir });
      const viewers = ['demo1@example.com', 'member0001@example.com', 'member0020@example.com'];
      const feeds: string[][] = [];
      for (const email of viewers) feeds.push(await wholeFeed(server.url, email));
      const signedIn = await login(server.url, 'demo1@example.com', PASSWORD);
      expect(signedIn.status).toBe(200);
      const { accessToken } = (signedIn.json as { tokens: { accessToken: string } }).tokens;
      const page = await request(`${server.url}/api/v1/documents?limit=100`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const items = (page.json as { items: { status: string; mime: string; tags: string[] }[] }).items;
      expect(items).toHaveLength(8);
      expect(items.every((d) => d.status === 'ready')).toBe(true);
      expect(new Set(items.map((d) => d.mime))).toEqual(
        new Set(['application/pdf', 'text/markdown', 'text/plain']),
      );

      // Each seeded feed is what the fan-out job would have written: it equals the reference join.
      await server.stop();
      const reference = await referenceFeeds(dataDir, viewers);
      expect(feeds[0]!.length).toBeGreaterThan(40);
      for (const [i, email] of viewers.entries()) expect(feeds[i], email).toEqual(reference[i]);
    },
  );

  it('refuses an unknown scale with exit code 2', async () => {
    const result = await runCli(['seed', '--scale', 'huge'], { DATA_DIR: await templateDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--scale must be one of small, medium, large');
  });
});

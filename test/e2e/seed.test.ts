// `lectern seed` as an operator runs it: demo accounts and documents go through the real pipeline, the
// library then serves them, and a second run adds nothing.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
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

const SEED = ['seed', '--scale', 'small', '--users', '1', '--password', 'seed-e2e-password'];

describe('lectern seed', () => {
  it('creates a processed library once, then finds it again', { timeout: 120_000 }, async () => {
    const dataDir = await templateDataDir();
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'error' };

    const first = await runCli(SEED, env, { deadlineMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/1 users, 8 documents \(8 new\), 8 ready, 0 failed, \d+ pages, \d+ chunks/);
    expect(first.stdout).toContain('demo1@example.com');
    expect(first.stderr).toMatch(/^seed .* 8\/8 processed/m); // not a TTY: plain progress lines

    const second = await runCli(SEED, env, { deadlineMs: 60_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/1 users, 8 documents \(0 new\), 8 ready/);
    expect(second.stdout).toContain('(existing)');

    const server = await startServe({ DATA_DIR: dataDir });
    const signedIn = await login(server.url, 'demo1@example.com', 'seed-e2e-password');
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
  });

  it('refuses an unknown scale with exit code 2', async () => {
    const result = await runCli(['seed', '--scale', 'huge'], { DATA_DIR: await templateDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--scale must be one of small, medium, large');
  });
});

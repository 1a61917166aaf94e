// `lectern embeddings` as an operator meets it on an embedded data dir: with no server it writes the building
// space (the re-embed runs on the next `serve`), and with a `serve` holding the data dir it points to the admin API.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-server.ts';
import {
  killAllProcesses,
  pollUntil,
  register,
  removeTempDirs,
  request,
  runCli,
  startServe,
  templateDataDir,
} from './serve-process.ts';

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi();
});
afterAll(() => fake.close());
afterEach(async () => {
  await killAllProcesses();
  await removeTempDirs();
});

const aiEnv = () => ({ AI_BASE_URL: fake.url, AI_EMBEDDING_MODEL: 'fake-a', AI_EMBEDDING_DIMENSIONS: '8' });

describe('lectern embeddings', () => {
  it(
    'creates a building space on a data dir no server holds, and status shows it',
    { timeout: 120_000 },
    async () => {
      const dataDir = await templateDataDir();
      const env = { DATA_DIR: dataDir, ...aiEnv() };
      const empty = await runCli(['embeddings', 'status'], env);
      expect(empty, empty.stderr).toMatchObject({ code: 0, timedOut: false });
      expect(empty.stdout).toContain('No embedding spaces yet');

      const use = await runCli(['embeddings', 'use', 'fake-b'], env);
      expect(use, use.stderr).toMatchObject({ code: 0, timedOut: false });
      expect(use.stdout).toMatch(/^Space \d+ \(fake-b, 8 dimensions\) is building/m);
      expect(use.stdout).toContain('runs when `lectern serve` starts');

      const status = await runCli(['embeddings', 'status'], env);
      expect(status, status.stderr).toMatchObject({ code: 0, timedOut: false });
      expect(status.stdout).toMatch(/^id\s+model\s+dims\s+state\s+chunks/m);
      expect(status.stdout).toMatch(/^\d+\s+fake-b\s+8\s+building\s+0\/0$/m);

      const again = await runCli(['embeddings', 'use', 'fake-c'], env);
      expect(again).toMatchObject({ code: 1 });
      expect(again.stderr).toContain('is still being built');
      const usage = await runCli(['embeddings', 'use'], env);
      expect(usage).toMatchObject({ code: 2 });
      expect(usage.stderr).toContain('usage: lectern embeddings use <model>');
      expect(existsSync(path.join(dataDir, 'lectern.lock')), 'the CLI released the lock').toBe(false);

      // The next serve runs the re-embed (nothing to embed here) and flips the space to active.
      const server = await startServe({ ...env, ADMIN_EMAILS: 'ops@example.com' });
      const { tokens } = await register(server.url, 'ops@example.com', 'operator password');
      const spaces = await pollUntil(
        'the space to become active',
        async () => {
          const res = await request(`${server.url}/api/v1/admin/embeddings/spaces`, {
            headers: { authorization: `Bearer ${tokens.accessToken}` },
          });
          const { items } = res.json as { items: { model: string; state: string }[] };
          return items.some((s) => s.state === 'active') ? items : undefined;
        },
        30_000,
      );
      expect(spaces).toEqual([expect.objectContaining({ model: 'fake-b', state: 'active' })]);
      expect((await server.stop('SIGTERM')).code).toBe(0);
    },
  );

  it(
    'exits 1 and points to the admin API while a serve holds the data dir',
    { timeout: 120_000 },
    async () => {
      const dataDir = await templateDataDir();
      const server = await startServe({ DATA_DIR: dataDir });
      const result = await runCli(['embeddings', 'use', 'fake-b'], { DATA_DIR: dataDir, ...aiEnv() });
      expect(result).toMatchObject({ code: 1, timedOut: false });
      expect(result.stderr).toContain(`is in use by pid ${server.pid}`);
      expect(result.stderr).toContain('POST /api/v1/admin/embeddings/spaces');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(server.running()).toBe(true);
      expect((await server.stop('SIGTERM')).code).toBe(0);
    },
  );
});

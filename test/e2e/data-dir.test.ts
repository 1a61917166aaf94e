// The embedded data dir seen from outside: its lock after a crash, a second process on it, and a dir
// written by another PGlite version.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  killAllProcesses,
  login,
  register,
  removeTempDirs,
  request,
  runCli,
  snapshotFiles,
  spawnServe,
  startServe,
  templateDataDir,
  uniqueEmail,
  withDeadline,
} from './serve-process.ts';

afterEach(async () => {
  await killAllProcesses();
  await removeTempDirs();
});

const PASSWORD = 'a long enough password';

async function lockOwner(dataDir: string): Promise<{ pid: number; host: string; startedAt: string }> {
  return JSON.parse(await readFile(path.join(dataDir, 'lectern.lock'), 'utf8')) as {
    pid: number;
    host: string;
    startedAt: string;
  };
}

describe('lectern serve: the embedded data dir', () => {
  it(
    'after SIGKILL, a new serve takes over the lock, says so, and the data written before the kill is there',
    { timeout: 120_000 },
    async () => {
      const dataDir = await templateDataDir();
      const first = await startServe({ DATA_DIR: dataDir });
      const email = uniqueEmail('crash');
      const session = await register(first.url, email, PASSWORD);
      expect((await lockOwner(dataDir)).pid).toBe(first.pid);

      const killed = await first.stop('SIGKILL');
      expect(killed).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: false });
      // Nobody cleaned up: the lock still names the dead process.
      expect((await lockOwner(dataDir)).pid).toBe(first.pid);

      const second = await startServe({ DATA_DIR: dataDir });
      console.log(`[e2e data-dir] serve after SIGKILL ready, startupMs=${second.startupMs}`);
      const takeover = second.lines.find((l) => l.msg === 'taking over the lock of a process that is gone');
      expect(takeover, JSON.stringify(second.lines)).toBeDefined();
      // A warning that names the process whose lock it took (its pid, host and start time).
      expect(takeover).toMatchObject({
        level: 40,
        pid: second.pid,
        owner: { pid: first.pid, host: os.hostname(), startedAt: expect.any(String) },
      });
      expect((await lockOwner(dataDir)).pid).toBe(second.pid);

      const response = await login(second.url, email, PASSWORD);
      expect(response.status, response.body).toBe(200);
      expect(response.json).toMatchObject({ user: { id: session.user.id, email } });
      const me = await request(`${second.url}/api/v1/me`, {
        headers: {
          authorization: `Bearer ${(response.json as { tokens: { accessToken: string } }).tokens.accessToken}`,
        },
      });
      expect(me.status, me.body).toBe(200);
      expect(me.json).toMatchObject({ email });

      const exit = await second.stop('SIGTERM');
      expect(exit).toMatchObject({ code: 0, timedOut: false });
      expect(existsSync(path.join(dataDir, 'lectern.lock')), 'a clean stop releases the lock').toBe(false);
    },
  );

  it(
    'a second serve on a dir in use exits 1 naming the owner, and the first keeps serving',
    { timeout: 120_000 },
    async () => {
      const dataDir = await templateDataDir();
      const first = await startServe({ DATA_DIR: dataDir });

      const second = await spawnServe({ DATA_DIR: dataDir });
      const exit = await withDeadline(second.exited, 60_000, 'the second serve did not exit within 60 s');
      expect(exit, second.stderr()).toEqual({ code: 1, signal: null });
      expect(second.stderr()).toContain(`lectern: ${dataDir} is in use by pid ${first.pid}`);
      expect(second.stderr()).not.toMatch(/\n\s+at /); // an explained refusal, not a stack trace
      expect(second.lines.some((l) => String(l.msg).startsWith('Lectern listening'))).toBe(false);

      // The refused process neither took nor removed the lock, and the first one is unaffected.
      expect((await lockOwner(dataDir)).pid).toBe(first.pid);
      expect(first.running()).toBe(true);
      const ready = await request(`${first.url}/health/ready`);
      expect(ready.status, ready.body).toBe(200);
      const email = uniqueEmail('second');
      await register(first.url, email, PASSWORD);
      expect((await login(first.url, email, PASSWORD)).status).toBe(200);

      expect(await first.stop('SIGTERM')).toMatchObject({ code: 0, timedOut: false });
    },
  );

  it(
    'a data dir written by another PGlite version is refused with the upgrade commands, untouched',
    { timeout: 120_000 },
    async () => {
      const dataDir = await templateDataDir();
      const versionFile = path.join(dataDir, 'version.json');
      expect(JSON.parse(await readFile(versionFile, 'utf8'))).toEqual({ pglite: '0.5.14' });
      await writeFile(versionFile, JSON.stringify({ pglite: '0.4.2' }, null, 2) + '\n');
      const before = await snapshotFiles(dataDir);

      const result = await runCli(['serve'], { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' });
      expect(result.timedOut, result.stdout).toBe(false);
      expect(result, result.stderr).toMatchObject({ code: 1, signal: null });
      expect(result.stderr).toContain('PGlite 0.4.2');
      expect(result.stderr).toContain('lectern backup');
      expect(result.stderr).toContain('lectern restore');
      expect(result.stdout).not.toContain('Lectern listening');

      // Not a byte written: db files, version.json and secrets as they were, and no lock left behind.
      expect(await snapshotFiles(dataDir)).toEqual(before);
      expect(existsSync(path.join(dataDir, 'lectern.lock'))).toBe(false);
    },
  );
});

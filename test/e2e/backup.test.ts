// `lectern backup` and `lectern restore` round trip through real processes: a user registered on one data
// dir logs in, with the same password, on a dir restored from its dump.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  killAllProcesses,
  login,
  register,
  rememberTempDir,
  removeTempDirs,
  request,
  runCli,
  snapshotFiles,
  startServe,
  templateDataDir,
  uniqueEmail,
} from './serve-process.ts';

afterEach(async () => {
  await killAllProcesses();
});
afterAll(async () => {
  await removeTempDirs();
});

const PASSWORD = 'backup round trip password';

// The round trip is one story told in steps (tests in a file run in order), so the steps share what they made.
describe('lectern backup / restore', () => {
  let dirA = '';
  let work = '';
  let dumpFile = '';
  const email = uniqueEmail('backup');

  it('backup of a data dir with a user writes a SQL dump and exits 0', { timeout: 180_000 }, async () => {
    dirA = await templateDataDir();
    work = rememberTempDir(await mkdtemp(path.join(os.tmpdir(), 'lectern-e2e-backup-')));
    const server = await startServe({ DATA_DIR: dirA });
    await register(server.url, email, PASSWORD);
    expect(await server.stop('SIGTERM')).toMatchObject({ code: 0, timedOut: false });

    const out = path.join(work, 'b.sql');
    const result = await runCli(
      ['backup', '--out', out],
      { DATA_DIR: dirA },
      {
        deadlineMs: 60_000,
        exitSoonAfter: { pattern: /Backup written to/, ms: 60_000 },
      },
    );
    console.log(
      `[e2e backup] backup: ${result.ms} ms, exit ${result.code ?? result.signal}, ` +
        `${result.afterDoneMs ?? '?'} ms after it printed "Backup written"` +
        `${result.timedOut ? ' (did not exit by itself: killed by the test)' : ''}`,
    );
    // What the dump holds is checked first, so the restore steps can run whatever the exit was.
    expect(existsSync(out), `no dump written; stderr: ${result.stderr}`).toBe(true);
    const dump = await readFile(out, 'utf8');
    expect(dump).toContain('CREATE TABLE');
    expect(dump).toContain(email);
    dumpFile = out;
    expect(result.stdout).toContain(`Backup written to ${out}`);
    expect(existsSync(path.join(dirA, 'lectern.lock')), 'backup released the lock').toBe(false);

    expect(
      result.timedOut,
      `backup wrote the dump ("${result.stdout.trim()}") but the process was still running 60 s later`,
    ).toBe(false);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
  });

  it(
    'restore of the dump into an empty dir: the user logs in with the same password',
    { timeout: 120_000 },
    async () => {
      expect(dumpFile, 'the backup step produced no dump').not.toBe('');
      const dirB = path.join(work, 'restored'); // does not exist yet: restore creates it
      const result = await runCli(['restore', dumpFile], { DATA_DIR: dirB }, { deadlineMs: 90_000 });
      console.log(`[e2e backup] restore: ${result.ms} ms, exit ${result.code ?? result.signal}`);
      expect(result.timedOut, `restore did not exit within 90 s; stdout: ${result.stdout}`).toBe(false);
      expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
      expect(result.stdout).toContain(`Restored ${dumpFile} into ${dirB}`);
      expect(JSON.parse(await readFile(path.join(dirB, 'version.json'), 'utf8'))).toEqual({
        pglite: '0.5.14',
      });

      const server = await startServe({ DATA_DIR: dirB });
      console.log(`[e2e backup] serve on the restored dir ready, startupMs=${server.startupMs}`);
      const response = await login(server.url, email, PASSWORD);
      expect(response.status, response.body).toBe(200);
      const accessToken = (response.json as { tokens: { accessToken: string } }).tokens.accessToken;
      const me = await request(`${server.url}/api/v1/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(me.status, me.body).toBe(200);
      expect(me.json).toMatchObject({ email });
      expect((await login(server.url, email, 'not the password')).status).toBe(401);
      // The restored database is fully writable: a new account works too.
      const other = uniqueEmail('after-restore');
      await register(server.url, other, PASSWORD);
      expect((await login(server.url, other, PASSWORD)).status).toBe(200);
      expect(await server.stop('SIGTERM')).toMatchObject({ code: 0, timedOut: false });
    },
  );

  it(
    'restore into a dir that already holds a database exits 1 and leaves it intact',
    { timeout: 120_000 },
    async () => {
      expect(dumpFile, 'the backup step produced no dump').not.toBe('');
      const before = await snapshotFiles(dirA);
      const result = await runCli(['restore', dumpFile], { DATA_DIR: dirA }, { deadlineMs: 60_000 });
      expect(result.timedOut, result.stdout).toBe(false);
      expect(result, result.stderr).toMatchObject({ code: 1, signal: null });
      expect(result.stderr).toContain('already holds a database');
      expect(await snapshotFiles(dirA)).toEqual(before);

      // And it still serves the user it had.
      const server = await startServe({ DATA_DIR: dirA });
      expect((await login(server.url, email, PASSWORD)).status).toBe(200);
      expect(await server.stop('SIGTERM')).toMatchObject({ code: 0, timedOut: false });
    },
  );
});

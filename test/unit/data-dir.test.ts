import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataDirLockedError,
  DataDirVersionError,
  openDataDir,
} from '../../src/platform/data-dir/data-dir.ts';
import { PGLITE_VERSION } from '../../src/platform/db/pglite-version.ts';

const tempDir = () => mkdtemp(path.join(os.tmpdir(), 'lectern-datadir-'));
const noWarnings = () => {
  throw new Error('unexpected warning');
};

describe('data dir', () => {
  it('creates 0600 secrets on first open and returns the same ones afterwards', async () => {
    const dir = await tempDir();
    const first = await openDataDir(dir, noWarnings);
    expect(first.secrets.jwt.length).toBeGreaterThanOrEqual(32);
    expect(first.secrets.urlSigning).not.toBe(first.secrets.jwt);
    expect((await stat(path.join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    await first.release();
    const second = await openDataDir(dir, noWarnings);
    expect(second.secrets).toEqual(first.secrets);
    await second.release();
  });

  it('refuses a second opener while the owner lives, naming the owner', async () => {
    const dir = await tempDir();
    const owner = await openDataDir(dir, noWarnings);
    await expect(openDataDir(dir, noWarnings)).rejects.toThrow(DataDirLockedError);
    await expect(openDataDir(dir, noWarnings)).rejects.toThrow(`in use by pid ${process.pid}`);
    await owner.release();
    await (await openDataDir(dir, noWarnings)).release();
  });

  it('takes over the lock of a dead process with a warning', async () => {
    const dir = await tempDir();
    // A pid that existed and is gone: a child that has exited.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(
      path.join(dir, 'lectern.lock'),
      JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: 'earlier' }),
    );
    const warnings: unknown[] = [];
    const opened = await openDataDir(dir, (message, details) => warnings.push({ message, details }));
    expect(warnings).toEqual([
      {
        message: 'taking over the lock of a process that is gone',
        details: expect.objectContaining({ pid: deadPid }),
      },
    ]);
    expect(JSON.parse(await readFile(path.join(dir, 'lectern.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    await opened.release();
  });

  it('takes over a lock left by an earlier life of its own pid (a restarted container is pid 1 again)', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'lectern.lock'),
      JSON.stringify({
        pid: process.pid,
        host: os.hostname(),
        startedAt: new Date(Date.now() - 86_400_000).toISOString(),
      }),
    );
    const warnings: string[] = [];
    const opened = await openDataDir(dir, (message) => warnings.push(message));
    expect(warnings).toEqual(['taking over the lock of a process that is gone']);
    await opened.release();
  });

  it('treats an unreadable lock as held rather than guessing', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'lectern.lock'), '');
    await expect(openDataDir(dir, noWarnings)).rejects.toThrow(/lectern\.lock is unreadable/);
  });

  it('lets exactly one of several concurrent openers take a stale lock', async () => {
    const dir = await tempDir();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(
      path.join(dir, 'lectern.lock'),
      JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: 'earlier' }),
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => openDataDir(dir, () => undefined)));
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DataDirLockedError);
    await (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof openDataDir>>>).value.release();
  });

  it('refuses a lock held on another host, since it cannot tell whether that process lives', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'lectern.lock'),
      JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'earlier' }),
    );
    await expect(openDataDir(dir, noWarnings)).rejects.toThrow(/locked by pid 1 on host elsewhere/);
  });

  it('refuses a data dir written by another PGlite version with the upgrade commands, and releases the lock', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'version.json'), JSON.stringify({ pglite: '0.2.17' }));
    const refusal = openDataDir(dir, noWarnings);
    await expect(refusal).rejects.toThrow(DataDirVersionError);
    await expect(openDataDir(dir, noWarnings)).rejects.toThrow(
      new RegExp(
        `written by PGlite 0\\.2\\.17; this Lectern runs PGlite ${PGLITE_VERSION.replaceAll('.', '\\.')}.*lectern backup.*lectern restore`,
      ),
    );
    await expect(stat(path.join(dir, 'lectern.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

import { randomUUID } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/**
 * One process per data dir: PGlite itself does not stop two processes from opening the same directory (which
 * corrupts it). The lock names its owner; a lock whose process is gone is taken over. Every step that decides
 * ownership is atomic on POSIX file systems: the lock appears whole via link(), and a stale one is removed by a
 * rename that only one contender can win.
 */
export async function lockDataDir(dataDir: string, warn: (message: string, owner: LockOwner) => void) {
  const file = path.join(dataDir, 'lectern.lock');
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const content = JSON.stringify(me);
  const mine = `${file}.${randomUUID()}`;
  await writeFile(mine, content, { mode: 0o600 });

  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (attempt >= 3)
          throw new DataDirLockedError(`${dataDir} is being locked and unlocked by others; retry.`);
      }
      const seen = await readFile(file, 'utf8').catch(() => undefined);
      const owner = parseOwner(seen);
      if (seen === undefined) continue; // removed meanwhile: try again
      if (!owner)
        throw new DataDirLockedError(`${file} is unreadable; if no Lectern uses ${dataDir}, delete it.`);
      if (owner.host !== me.host) {
        throw new DataDirLockedError(
          `${dataDir} is locked by pid ${owner.pid} on host ${owner.host} since ${owner.startedAt}. ` +
            `If that process is gone, delete ${file}.`,
        );
      }
      if (isLive(owner)) {
        throw new DataDirLockedError(
          `${dataDir} is in use by pid ${owner.pid} (started ${owner.startedAt}). Stop it, or set DATA_DIR to another directory.`,
        );
      }
      await removeStale(file, seen);
      warn('taking over the lock of a process that is gone', owner);
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }

  return {
    async release(): Promise<void> {
      if ((await readFile(file, 'utf8').catch(() => undefined)) === content)
        await unlink(file).catch(() => undefined);
    },
  };
}

/** Moves the stale lock aside; if a contender replaced it with a live lock meanwhile, puts that one back. */
async function removeStale(file: string, staleContent: string): Promise<void> {
  const aside = `${file}.stale.${randomUUID()}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((await readFile(aside, 'utf8')) !== staleContent) {
    await link(aside, file).catch(() => undefined);
    await unlink(aside);
    throw new DataDirLockedError(
      `${path.dirname(file)} was taken over by another process at the same moment.`,
    );
  }
  await unlink(aside);
}

function parseOwner(content: string | undefined): LockOwner | undefined {
  try {
    const owner = JSON.parse(content ?? '') as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

const processStartedAt = Date.now() - process.uptime() * 1000;

/** Our own pid with a start before ours is an earlier life of this pid (containers restart as pid 1). */
function isLive(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return new Date(owner.startedAt).getTime() >= processStartedAt;
  return isAlive(owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

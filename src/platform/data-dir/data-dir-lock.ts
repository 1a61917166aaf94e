import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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
 * ownership is atomic on POSIX file systems: the lock appears whole via link(), and a stale one is removed only
 * under a mkdir() guard that one contender at a time can hold.
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
        if (attempt >= 50)
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
      if (await removeStale(file, seen)) warn('taking over the lock of a process that is gone', owner);
      else await sleep(20);
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

/**
 * Removes the stale lock if it is still the one we judged stale. The check-then-unlink runs under a mkdir()
 * guard so that two contenders cannot each remove what the other just created. False when the guard is busy.
 */
async function removeStale(file: string, staleContent: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A guard older than a takeover can take was left by a process that died inside it.
    const age =
      Date.now() -
      (await stat(guard).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      ));
    if (age > STALE_GUARD_MS) await rmdir(guard).catch(() => undefined);
    return false;
  }
  try {
    if ((await readFile(file, 'utf8').catch(() => undefined)) !== staleContent) return false;
    await unlink(file);
    return true;
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

function parseOwner(content: string | undefined): LockOwner | undefined {
  try {
    const owner = JSON.parse(content ?? '') as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

const STALE_GUARD_MS = 10_000;
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

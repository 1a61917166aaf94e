import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
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
 * One process per data dir: PGlite itself does not stop two processes from opening the same directory
 * (which corrupts it). The lock names its owner; a lock whose process is gone is taken over.
 */
export async function lockDataDir(dataDir: string, warn: (message: string, owner: LockOwner) => void) {
  const file = path.join(dataDir, 'lectern.lock');
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const content = JSON.stringify(me);

  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = await readOwner(file);
    if (owner && owner.host !== me.host) {
      throw new DataDirLockedError(
        `${dataDir} is locked by pid ${owner.pid} on host ${owner.host} since ${owner.startedAt}. ` +
          `If that process is gone, delete ${file}.`,
      );
    }
    if (owner && isAlive(owner.pid)) {
      throw new DataDirLockedError(
        `${dataDir} is in use by pid ${owner.pid} (started ${owner.startedAt}). Stop it, or set DATA_DIR to another directory.`,
      );
    }
    warn('taking over the lock of a process that is gone', owner ?? { pid: 0, host: '?', startedAt: '?' });
    // Replace atomically, then re-read: of two processes taking over at once, only one sees its own pid.
    const temp = `${file}.${process.pid}`;
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, file);
    if ((await readOwner(file))?.pid !== me.pid) {
      throw new DataDirLockedError(`${dataDir} was taken over by another process at the same moment.`);
    }
  }

  return {
    async release(): Promise<void> {
      if ((await readOwner(file))?.pid === me.pid) await unlink(file).catch(() => undefined);
    },
  };
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGLITE_VERSION } from '../db/pglite-version.ts';
import { lockDataDir } from './data-dir-lock.ts';

export { DataDirLockedError } from './data-dir-lock.ts';

export interface Secrets {
  jwt: string;
  urlSigning: string;
}

export class DataDirVersionError extends Error {
  override name = 'DataDirVersionError';
}

/**
 * Opens the embedded data dir: takes its lock, refuses a database written by another PGlite version, and
 * creates the secrets on first start (0600) so tokens survive restarts.
 */
export async function openDataDir(dataDir: string, warn: (message: string, details: object) => void) {
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, warn);
  try {
    await checkVersion(dataDir);
    return { secrets: await loadSecrets(dataDir), release: () => lock.release() };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** True when the data dir holds no database yet (restore writes only into such a dir). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'db', 'PG_VERSION'));
}

async function checkVersion(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'version.json');
  const current = { pglite: PGLITE_VERSION };
  if (!existsSync(file)) {
    if (hasDatabase(dataDir)) {
      throw new DataDirVersionError(
        `${dataDir}/db exists but ${file} does not: cannot tell which PGlite wrote it.`,
      );
    }
    await writeFile(file, JSON.stringify(current, null, 2) + '\n');
    return;
  }
  const written = JSON.parse(await readFile(file, 'utf8')) as { pglite?: string };
  if (written.pglite !== PGLITE_VERSION) {
    throw new DataDirVersionError(
      `${dataDir} was written by PGlite ${written.pglite ?? 'unknown'}; this Lectern runs PGlite ${PGLITE_VERSION}, ` +
        'and PGlite data dirs are not portable between versions. To upgrade: with the Lectern that wrote it run ' +
        '`lectern backup --out lectern.sql`, then with this one `DATA_DIR=<new dir> lectern restore lectern.sql`.',
    );
  }
}

async function loadSecrets(dataDir: string): Promise<Secrets> {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as {
      JWT_SECRET: string;
      URL_SIGNING_SECRET: string;
    };
    return { jwt: stored.JWT_SECRET, urlSigning: stored.URL_SIGNING_SECRET };
  }
  const secrets = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    URL_SIGNING_SECRET: randomBytes(32).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { jwt: secrets.JWT_SECRET, urlSigning: secrets.URL_SIGNING_SECRET };
}

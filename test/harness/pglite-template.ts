import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { openDataDir } from '../../src/platform/data-dir/data-dir.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics } from '../../src/platform/observability/metrics.ts';

/** Creates and migrates one embedded data dir; every test copies it instead of paying PGlite's initdb. */
export async function buildPgliteTemplate(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lectern-template-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  const dir = await openDataDir(dataDir, () => undefined);
  const database = createDatabase(config, { logger: createLogger('silent'), metrics: createMetrics() });
  try {
    await migrate(database, 'required');
  } finally {
    await database.close();
    await dir.release();
  }
  return dataDir;
}

export async function copyDataDir(template: string): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lectern-test-'));
  await cp(template, dataDir, { recursive: true });
  return dataDir;
}

import { readFile, writeFile } from 'node:fs/promises';
import { hasDatabase, openDataDir } from '../platform/data-dir/data-dir.ts';
import { createDatabase, type Database } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { createMetrics } from '../platform/observability/metrics.ts';
import { readConfig, runCommand } from './startup.ts';
import type { Config } from '../config.ts';

/** Writes a plain-SQL dump of the embedded database: portable across PGlite versions, unlike the data dir. */
export function backup(out: string | undefined): Promise<number> {
  return runCommand(async () => {
    const config = embeddedConfig();
    if (!config) return 1;
    if (!hasDatabase(config.dataDir)) {
      process.stderr.write(`lectern: ${config.dataDir} holds no database to back up.\n`);
      return 1;
    }
    const file = out ?? `lectern-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.sql`;
    await withEmbeddedDatabase(config, async (database) => {
      await writeFile(file, await database.dump(), { mode: 0o600 });
    });
    process.stdout.write(`Backup written to ${file}\n`);
    return 0;
  });
}

/** Loads a dump written by `lectern backup` into a DATA_DIR that holds no database yet, then migrates it. */
export function restore(file: string | undefined): Promise<number> {
  return runCommand(async () => {
    const config = embeddedConfig();
    if (!config) return 1;
    if (!file) {
      process.stderr.write('lectern: restore needs the dump file: `lectern restore lectern.sql`.\n');
      return 2;
    }
    if (hasDatabase(config.dataDir)) {
      process.stderr.write(
        `lectern: ${config.dataDir} already holds a database; restore only writes into an empty DATA_DIR.\n`,
      );
      return 1;
    }
    // pg_dump ≥ 17.6 brackets the dump in psql meta-commands (\restrict KEY … \unrestrict KEY) that only psql
    // understands; nothing else is touched (data lines may legitimately start with a backslash).
    const script = (await readFile(file, 'utf8')).replace(/^\\(un)?restrict \S+$/gm, '');
    await withEmbeddedDatabase(config, async (database) => {
      // All or nothing: a half-restored data dir would be refused as "already holds a database".
      await database.transaction(() => database.runScript(script));
    });
    // A fresh session: the dump leaves search_path emptied on the one that loaded it.
    await withEmbeddedDatabase(config, (database) =>
      migrate(database, config.db.vectorSearch).then(() => undefined),
    );
    process.stdout.write(`Restored ${file} into ${config.dataDir}\n`);
    return 0;
  });
}

function embeddedConfig(): Config | undefined {
  const config = readConfig();
  if (config.mode === 'fleet') {
    process.stderr.write(
      'lectern: backup and restore are for embedded mode; use pg_dump and psql with DATABASE_URL.\n',
    );
    return undefined;
  }
  return config;
}

async function withEmbeddedDatabase(
  config: Config,
  work: (database: Database) => Promise<void>,
): Promise<void> {
  const logger = createLogger(config.logLevel);
  const dataDir = await openDataDir(config.dataDir, (message, owner) => logger.warn({ owner }, message));
  const database = createDatabase(config, { logger, metrics: createMetrics() });
  try {
    await work(database);
  } finally {
    await database.close();
    await dataDir.release();
  }
}

import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.ts';
import { createDeps, type Deps } from '../deps.ts';
import {
  DataDirLockedError,
  DataDirVersionError,
  openDataDir,
  type Secrets,
} from '../platform/data-dir/data-dir.ts';
import { MigrationError } from '../platform/db/migrate.ts';
import { createLogger, type Logger } from '../platform/observability/logger.ts';

/** Errors a person can fix from the message alone: printed plainly, without a stack. */
const EXPLAINED = [ConfigError, DataDirLockedError, DataDirVersionError, MigrationError];

export function readConfig(): Config {
  loadDotEnv();
  return loadConfig();
}

/** Config, logger, the embedded data dir (lock, version, secrets) and the dependencies, or a clear failure. */
export async function start(options: {
  migrate: boolean;
}): Promise<{ deps: Deps; release: () => Promise<void> }> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  let generated: Secrets | undefined;
  let release = async () => {};
  if (config.mode === 'embedded') {
    const dataDir = await openDataDir(config.dataDir, (message, owner) => logger.warn({ owner }, message));
    generated = dataDir.secrets;
    release = dataDir.release;
  }
  // Fleet config always has both (config.ts refuses otherwise); embedded ones fill what is not set.
  const secrets: Secrets = {
    jwt: config.secrets.jwt ?? generated!.jwt,
    urlSigning: config.secrets.urlSigning ?? generated!.urlSigning,
  };
  try {
    const deps = await createDeps(config, secrets, logger, options);
    return { deps, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Runs a command, turning explainable failures into one line on stderr and exit code 1. */
export async function runCommand(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (EXPLAINED.some((type) => error instanceof type)) {
      process.stderr.write(`lectern: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

export type { Logger };

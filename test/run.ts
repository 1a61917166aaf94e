// `npm test`: static checks, then the Vitest projects on PGlite, on a throwaway PostgreSQL 15 and Redis 7
// started here, end to end and timing. Servers are stopped by PID whatever happens.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { createMetrics } from '../src/platform/observability/metrics.ts';
import { buildPgliteTemplate } from './harness/pglite-template.ts';
import { createLocalEmbedder } from '../src/platform/ai/local-embedder.ts';
import {
  ensurePromtool,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from './harness/servers.ts';
import { adminQuery } from './harness/test-app.ts';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 24) {
  console.error(`The test suite needs Node.js 24 (run it with \`npm test\`); this is ${process.version}.`);
  process.exit(1);
}

const bin = (name: string) => path.join(import.meta.dirname, '..', 'node_modules', '.bin', name);

function step(
  title: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  console.log(`\n▶ ${title}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function migratePostgresTemplate(serverUrl: string): Promise<void> {
  await adminQuery(serverUrl, 'create database lectern_template');
  const url = new URL(serverUrl);
  url.pathname = '/lectern_template';
  const secret = randomBytes(32).toString('base64url');
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    VECTOR_SEARCH: 'off',
    JWT_SECRET: secret,
    URL_SIGNING_SECRET: secret,
  });
  const database = createDatabase(config, { logger: createLogger('silent'), metrics: createMetrics() });
  try {
    await migrate(database, 'off');
  } finally {
    await database.close();
  }
}

const reportFile = path.join(os.tmpdir(), `lectern-vitest-${process.pid}.json`);
let postgres: PostgresServer | undefined;
let redis: RedisServer | undefined;
let template: string | undefined;

async function stopServers(): Promise<void> {
  await Promise.allSettled([postgres?.stop(), redis?.stop(), rm(reportFile, { force: true })]);
  if (template) await rm(template, { recursive: true, force: true });
}

// Ctrl-C or a CI cancel: stop what we started (pg_ctl's server runs in its own session and would outlive us).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the test servers`);
    void stopServers().finally(() => process.exit(130));
  });
}

let exitCode: number;
const vitestArgs = process.argv.slice(2);

try {
  // Static checks only on a full run; `npm test -- <filter>` goes straight to the tests.
  if (vitestArgs.length === 0) {
    for (const [title, command, args] of [
      ['typecheck', bin('tsc'), ['--noEmit']],
      ['lint', bin('eslint'), ['.']],
      ['format', bin('prettier'), ['--check', '--log-level', 'warn', '.']],
      ['architecture rules', bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs']],
    ] as const) {
      if ((await step(title, command, [...args])) !== 0) throw new Error(`${title} failed`);
    }
  }

  console.log(
    '\n▶ starting PostgreSQL 15 and Redis 7, building the PGlite template and the word-vector cache',
  );
  const started = performance.now();
  [postgres, redis, template] = await Promise.all([
    startPostgres(),
    startRedis(),
    buildPgliteTemplate(),
    ensurePromtool(),
    warmLocalEmbedder(),
  ]);
  await migratePostgresTemplate(postgres.url);
  console.log(
    `  PostgreSQL ${postgres.url}, Redis ${redis.url}, PGlite template ready in ${Math.round(performance.now() - started)} ms`,
  );

  exitCode = await step(
    'vitest',
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...vitestArgs],
    {
      ...process.env,
      LECTERN_TEST_POSTGRES_URL: postgres.url,
      LECTERN_TEST_REDIS_URL: redis.url,
      LECTERN_TEST_PGLITE_TEMPLATE: template,
    },
  );
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
  };
  console.log(
    `\nTests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`,
  );
} catch (error) {
  console.error(`\n✗ ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await stopServers();
}
process.exit(exitCode);

/**
 * Converts the local embedder's word vectors once per checkout (a no-op when the cache exists), so the test
 * apps that start in parallel all load it instead of each converting it.
 */
async function warmLocalEmbedder(): Promise<void> {
  const embedder = createLocalEmbedder({ cacheDir: loadConfig({}).ai.localModelCacheDir });
  try {
    await embedder.ready();
  } finally {
    await embedder.close();
  }
}

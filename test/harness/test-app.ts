import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createDeps, type Deps } from '../../src/deps.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { copyDataDir } from './pglite-template.ts';
import { testEnv } from './env.ts';

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  engine: 'pglite' | 'postgres';
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  secrets: { jwt: string; urlSigning: string };
  close(): Promise<void>;
}

const SECRETS = {
  jwt: randomBytes(32).toString('base64url'),
  urlSigning: randomBytes(32).toString('base64url'),
};

/**
 * The whole app on a database of its own: a copy of the migrated PGlite template, or a fresh PostgreSQL
 * database cloned from the migrated template database (fleet mode, with the harness' Redis).
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { engine, pgliteTemplate, postgresUrl, redisUrl } = testEnv();
  let cleanup = async () => {};
  let base: Record<string, string>;
  if (engine === 'pglite') {
    const dataDir = await copyDataDir(pgliteTemplate());
    base = { DATA_DIR: dataDir };
    cleanup = () => rm(dataDir, { recursive: true, force: true });
  } else {
    const name = `lectern_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(postgresUrl(), `create database ${name} template lectern_template`);
    const url = new URL(postgresUrl());
    url.pathname = `/${name}`;
    // Blob storage without S3 is local: each app gets its own directory.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-files-'));
    base = {
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl(),
      VECTOR_SEARCH: 'off',
      JWT_SECRET: SECRETS.jwt,
      URL_SIGNING_SECRET: SECRETS.urlSigning,
      DB_POOL_MIN: '0',
      DB_POOL_MAX: '5',
      // Test files run in parallel on one Redis: each app consumes only its own jobs.
      QUEUE_NAME: name.replaceAll('_', '-'),
    };
    cleanup = async () => {
      await adminQuery(postgresUrl(), `drop database if exists ${name} with (force)`);
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const config = loadConfig({ LOG_LEVEL: 'info', OVERLOAD_PROTECTION: 'off', ...base, ...env });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const secrets = {
    jwt: config.secrets.jwt ?? SECRETS.jwt,
    urlSigning: config.secrets.urlSigning ?? SECRETS.urlSigning,
  };
  const deps = await createDeps(config, secrets, createLogger(config.logLevel, sink), { migrate: true });
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    engine,
    logs,
    secrets,
    async close() {
      await app.close();
      await deps.close();
      await cleanup();
    },
  };
}

export async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.ts';
import { hasDatabase, openDataDir } from '../platform/data-dir/data-dir.ts';
import { createDatabase } from '../platform/db/database.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { createMetrics } from '../platform/observability/metrics.ts';
import { createRedis } from '../platform/redis.ts';

interface Finding {
  ok: boolean;
  what: string;
  fix?: string;
}

/** Checks configuration and every dependency; prints each finding with how to fix it. Exit 1 if any fails. */
export async function doctor(): Promise<number> {
  const findings: Finding[] = [{ ok: true, what: `Node.js ${process.version}` }];
  let config: Config | undefined;
  try {
    loadDotEnv();
    config = loadConfig();
    findings.push({ ok: true, what: `configuration valid (${config.mode} mode)` });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    findings.push({
      ok: false,
      what: error.message,
      fix: 'Correct the variable (README.md lists every setting).',
    });
  }
  if (config) {
    findings.push(...(config.mode === 'embedded' ? await checkEmbedded(config) : await checkFleet(config)));
  }
  for (const f of findings) {
    process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.what}\n${f.fix ? `    fix: ${f.fix}\n` : ''}`);
  }
  const failed = findings.filter((f) => !f.ok).length;
  process.stdout.write(failed === 0 ? '\nAll checks passed.\n' : `\n${failed} problem(s) found.\n`);
  return failed === 0 ? 0 : 1;
}

async function checkEmbedded(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  try {
    await mkdir(config.dataDir, { recursive: true });
    await access(config.dataDir, constants.W_OK);
    findings.push({ ok: true, what: `data dir ${config.dataDir} is writable` });
  } catch {
    return [
      {
        ok: false,
        what: `data dir ${config.dataDir} is not writable`,
        fix: 'Set DATA_DIR to a directory this user can write.',
      },
    ];
  }
  const secrets = path.join(config.dataDir, 'secrets.json');
  const mode = await stat(secrets).then(
    (s) => s.mode & 0o777,
    () => undefined,
  );
  if (mode !== undefined && mode & 0o077) {
    findings.push({
      ok: false,
      what: `${secrets} is readable by others (mode ${mode.toString(8)})`,
      fix: `chmod 600 ${secrets}`,
    });
  }
  if (!hasDatabase(config.dataDir)) {
    findings.push({ ok: true, what: 'no database yet: `lectern serve` creates it on first start' });
    return findings;
  }
  const logger = createLogger('silent');
  try {
    const dir = await openDataDir(config.dataDir, () => undefined);
    const database = createDatabase(config, { logger, metrics: createMetrics() });
    try {
      findings.push({ ok: true, what: `embedded PostgreSQL ${await database.serverVersion()} opens` });
    } finally {
      await database.close();
      await dir.release();
    }
  } catch (error) {
    const message = (error as Error).message;
    const inUse = /in use by pid/.test(message);
    findings.push({
      ok: inUse,
      what: inUse ? `${message.split('.')[0]} (a running server; not opened)` : message,
    });
  }
  return findings;
}

async function checkFleet(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  const logger = createLogger('silent');
  const database = createDatabase(config, { logger, metrics: createMetrics() });
  try {
    const version = await database.serverVersion();
    const vector = await database.extensionVersion('vector');
    const major = Number(version.split('.')[0]);
    findings.push(
      major >= 15
        ? { ok: true, what: `PostgreSQL ${version} reachable` }
        : { ok: false, what: `PostgreSQL ${version} is too old`, fix: 'Use PostgreSQL 15 or newer.' },
    );
    if (config.db.vectorSearch === 'off')
      findings.push({ ok: true, what: 'vector search off (VECTOR_SEARCH=off): text search only' });
    else if (vector) findings.push({ ok: true, what: `pgvector ${vector} available` });
    else
      findings.push({
        ok: false,
        what: 'pgvector is not installed',
        fix: 'Install pgvector ≥ 0.8 on the server, or set VECTOR_SEARCH=off.',
      });
  } catch (error) {
    findings.push({
      ok: false,
      what: `PostgreSQL unreachable: ${(error as Error).message}`,
      fix: 'Check DATABASE_URL and that the server accepts connections.',
    });
  } finally {
    await database.close();
  }
  if (!config.redisUrl) {
    findings.push({
      ok: false,
      what: 'REDIS_URL is not set',
      fix: 'Fleet processes share cache, rate limits and jobs through Redis: set REDIS_URL.',
    });
  } else {
    const redis = createRedis(config.redisUrl, logger);
    try {
      await new Promise((resolve, reject) => {
        redis.once('ready', resolve);
        redis.once('error', reject);
      });
      await redis.ping();
      findings.push({ ok: true, what: 'Redis reachable' });
    } catch (error) {
      findings.push({
        ok: false,
        what: `Redis unreachable: ${(error as Error).message}`,
        fix: 'Check REDIS_URL and that Redis is running.',
      });
    } finally {
      redis.disconnect();
    }
  }
  return findings;
}

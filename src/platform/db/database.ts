import { Kysely, PostgresDialect, sql } from 'kysely';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics, PoolStats } from '../observability/metrics.ts';
import { ConnectionLock, dbBusy } from './connection-lock.ts';
import { PgliteClient } from './pglite-client.ts';
import { LockedPgliteDialect } from './pglite-dialect.ts';
import { createStatementListener, type StatementListener } from './statement-listener.ts';
import type { Tables } from './tables.ts';
import { createTransactions } from './transactions.ts';

export type Engine = 'pglite' | 'postgres';

export interface Database extends ReturnType<typeof createTransactions> {
  engine: Engine;
  db: Kysely<Tables>;
  ping(): Promise<void>;
  poolStats(): PoolStats;
  /** pg_dump of the embedded database; fleet deployments use PostgreSQL's own tools. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function createDatabase(config: Config, deps: { logger: Logger; metrics: Metrics }): Database {
  const onStatement = createStatementListener({ ...deps, slowQueryMs: config.db.slowQueryMs });
  const database = config.db.url
    ? createPostgres(config, onStatement, deps.logger)
    : createPglite(path.join(config.dataDir, 'db'), config, onStatement, deps.logger);
  deps.metrics.observePool(() => database.poolStats());
  return database;
}

/** PGlite in a worker thread; `dataDir` undefined keeps it in memory. */
export function createPglite(
  dataDir: string | undefined,
  config: Config,
  onStatement: StatementListener,
  logger: Logger,
): Database {
  const client = new PgliteClient(dataDir, onStatement);
  const lock = new ConnectionLock(config.db.busyTimeoutMs, (holder) =>
    logger.error(
      { holder: holder.label, heldMs: holder.heldMs },
      'embedded database busy: connection wait timed out',
    ),
  );
  const db = new Kysely<Tables>({ dialect: new LockedPgliteDialect(client, lock) });
  return {
    engine: 'pglite',
    db,
    ...createTransactions(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: 1, idle: lock.held ? 0 : 1, waiting: lock.waiting }),
    dump: () => client.dump(),
    close: () => db.destroy(),
  };
}

function createPostgres(config: Config, onStatement: StatementListener, logger: Logger): Database {
  const pool = new pg.Pool({
    connectionString: config.db.url,
    min: config.db.poolMin,
    max: config.db.poolMax,
    connectionTimeoutMillis: config.db.busyTimeoutMs,
    idleTimeoutMillis: 30_000,
    types: { getTypeParser: typeParser },
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  pool.on('connect', (client) => instrumentClient(client, onStatement));
  // Waiting longer than DB_BUSY_TIMEOUT_MS for a pooled connection is the same condition as the embedded
  // engine's busy session, and fails the same way.
  const connect = () =>
    pool.connect().catch((error: unknown) => {
      if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
        logger.error(
          { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
          'database pool exhausted',
        );
        throw dbBusy();
      }
      throw error;
    });
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: { connect, end: () => pool.end(), options: pool.options } }),
  });
  return {
    engine: 'postgres',
    db,
    ...createTransactions(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    dump: () => Promise.reject(new Error('Use pg_dump to back up a PostgreSQL database')),
    close: () => db.destroy(),
  };
}

// count()/sum() of int8: a number, as PGlite returns it (counts stay far below 2^53).
const typeParser = ((oid: number, format?: 'text' | 'binary'): unknown =>
  oid === INT8_OID
    ? Number
    : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser;

/** Times every statement a pooled client sends, whoever sends it. */
function instrumentClient(client: pg.PoolClient, onStatement: StatementListener): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const started = performance.now();
    const result = query(...args);
    if (result instanceof Promise) {
      return result.finally(() => onStatement(text, performance.now() - started));
    }
    return result;
  };
}

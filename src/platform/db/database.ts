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
import { createTransactions, type Executor } from './transactions.ts';

export type Engine = 'pglite' | 'postgres';

export interface Database extends ReturnType<typeof createTransactions> {
  engine: Engine;
  db: Kysely<Tables>;
  ping(): Promise<void>;
  serverVersion(): Promise<string>;
  /** Installed version of an extension, else the version the server could install, else undefined. */
  extensionVersion(name: string): Promise<string | undefined>;
  /**
   * Refreshes the planner's statistics. PGlite has no autovacuum, so without this an embedded database plans
   * every query as if its tables were empty; on PostgreSQL it only repeats what autovacuum does.
   */
  analyze(): Promise<void>;
  /** Runs a multi-statement SQL script (simple query protocol): migrations, restores. */
  runScript(script: string): Promise<void>;
  poolStats(): PoolStats;
  /** pg_dump of the embedded database; fleet deployments use PostgreSQL's own tools. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

/** What both engines answer the same way, given their Kysely instance and the current executor. */
function commonQueries(db: Kysely<Tables>, executor: () => Executor) {
  return {
    async ping() {
      await sql`select 1`.execute(db);
    },
    async serverVersion() {
      const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
      return rows[0]!.v;
    },
    async extensionVersion(name: string) {
      const { rows } = await sql<{ version: string | null }>`
        select coalesce(e.extversion, a.default_version) as version
        from pg_available_extensions a left join pg_extension e on e.extname = a.name
        where a.name = ${name}`.execute(db);
      return rows[0]?.version ?? undefined;
    },
    async analyze() {
      await sql`analyze`.execute(db);
    },
    async runScript(script: string) {
      // Without parameters, both engines use the simple query protocol, which takes several statements.
      await sql.raw(script).execute(executor());
    },
  };
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
  const client = new PgliteClient(dataDir, onStatement, (code) =>
    logger.fatal({ exitCode: code }, 'the embedded database worker stopped; restart Lectern'),
  );
  const lock = new ConnectionLock(config.db.busyTimeoutMs, (holder) =>
    logger.warn(
      { holder: holder.label, heldMs: holder.heldMs },
      'embedded database busy: connection wait timed out',
    ),
  );
  const db = new Kysely<Tables>({ dialect: new LockedPgliteDialect(client, lock) });
  const transactions = createTransactions(db, (error) =>
    logger.error({ err: error }, 'after-commit callback failed'),
  );
  return {
    engine: 'pglite',
    db,
    ...transactions,
    ...commonQueries(db, () => transactions.executor()),
    poolStats: () => ({ total: 1, idle: lock.held ? 0 : 1, waiting: lock.waiting }),
    dump: () => client.dump(),
    async close() {
      await db.destroy();
      // destroy() skips a driver that never initialised (PGlite failed to open): end the worker anyway.
      await client.close();
    },
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
  pool.on('connect', (client) => {
    instrumentClient(client, onStatement);
    // pg-pool listens for errors on idle clients only: a checked-out client whose server goes away between
    // two queries would otherwise raise an uncaught error and end the process. The query fails; the pool
    // drops the client when it is released.
    client.on('error', (error) => logger.warn({ err: error }, 'database connection lost'));
  });
  // Waiting longer than DB_BUSY_TIMEOUT_MS for a pooled connection is the same condition as the embedded
  // engine's busy session, and fails the same way.
  const connect = () =>
    pool.connect().catch((error: unknown) => {
      if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
        logger.warn(
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
  const transactions = createTransactions(db, (error) =>
    logger.error({ err: error }, 'after-commit callback failed'),
  );
  return {
    engine: 'postgres',
    db,
    ...transactions,
    ...commonQueries(db, () => transactions.executor()),
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

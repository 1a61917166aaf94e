import type { PGlite, PGliteQueryResults, PGliteTransaction } from 'kysely';
import { Worker } from 'node:worker_threads';
import type { PgliteReply, PgliteRequest, PgliteWorkerData, SerializedDbError } from './pglite-protocol.ts';
import type { StatementListener } from './statement-listener.ts';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export class DbError extends Error {
  override name = 'DbError';
  code: string | undefined;
  detail: string | undefined;
  constraint: string | undefined;
  constructor(e: SerializedDbError) {
    super(e.message);
    this.code = e.code;
    this.detail = e.detail;
    this.constraint = e.constraint;
  }
}

/** SQLSTATE 08006 (connection failure): callers treat it like a lost PostgreSQL connection. */
function closedError(): DbError {
  return new DbError({ message: 'The embedded database is closed', code: '08006' });
}

/**
 * The PGlite interface Kysely's PGliteDialect needs, proxied over a MessagePort to a worker thread that owns
 * the real PGlite (see pglite-worker.ts). PGlite is one session: callers are serialised by the dialect's lock,
 * so transactions can be plain BEGIN/COMMIT statements on that session.
 */
export class PgliteClient implements PGlite {
  closed = false;
  ready = false;
  readonly waitReady: Promise<void>;
  #worker: Worker;
  #nextId = 1;
  #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; onRan?: (ms: number) => void }
  >();
  #onStatement: StatementListener;

  constructor(
    dataDir: string | undefined,
    onStatement: StatementListener,
    onUnexpectedExit: (code: number) => void,
  ) {
    this.#onStatement = onStatement;
    const workerData: PgliteWorkerData = { dataDir };
    this.#worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), { workerData });
    this.#worker.on('message', (reply: PgliteReply) => this.#settle(reply));
    this.#worker.on('error', (error: Error) => this.#failAll(error));
    this.#worker.on('exit', (code) => {
      if (!this.closed) onUnexpectedExit(code);
      this.closed = true;
      this.#failAll(closedError());
    });
    // Not through query(): the first statement waits for PGlite to boot, which is no slow query.
    this.waitReady = this.#call({ op: 'query', sql: 'select 1', params: [] }).then(() => {
      this.ready = true;
    });
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<PGliteQueryResults<T>> {
    const started = performance.now();
    let ranMs: number | undefined;
    try {
      return (await this.#call({ op: 'query', sql, params }, (ms) => (ranMs = ms))) as PGliteQueryResults<T>;
    } finally {
      // The worker's own measure: what the statement cost, not how long this thread took to hear back.
      this.#onStatement(sql, ranMs ?? performance.now() - started);
    }
  }

  /** Part of the PGlite interface; Lectern's own driver runs BEGIN/COMMIT as statements under its lock. */
  async transaction<T>(callback: (tx: PGliteTransaction) => Promise<T>): Promise<T> {
    await this.query('BEGIN');
    let finished = false;
    const tx: PGliteTransaction = {
      query: (sql, params) => this.query(sql, params),
      rollback: async () => {
        finished = true;
        await this.query('ROLLBACK');
      },
    };
    try {
      const result = await callback(tx);
      if (!finished) await this.query('COMMIT');
      return result;
    } catch (error) {
      if (!finished) await this.query('ROLLBACK');
      throw error;
    }
  }

  /** A plain-SQL dump of the whole database (pg_dump format, INSERT statements). */
  async dump(): Promise<string> {
    return (await this.#call({ op: 'dump' })) as string;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.#call({ op: 'close' }).catch(() => undefined);
    this.closed = true;
    await this.#worker.terminate();
  }

  #call(request: DistributiveOmit<PgliteRequest, 'id'>, onRan?: (ms: number) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onRan });
      this.#worker.postMessage({ ...request, id });
    });
  }

  #settle(reply: PgliteReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    pending.onRan?.(reply.ms);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new DbError(reply.error));
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

// A PGlite with pgvector served over the PostgreSQL wire protocol by @electric-sql/pglite-socket, so several
// fleet processes can share a database with vector search (Debian's PostgreSQL 15 here has no pgvector ≥ 0.8;
// DESIGN §3). It runs in a child process of its own: PGlite blocks the thread it runs on for every statement.
//
// PGlite is one session: the socket server multiplexes its clients onto it statement by statement, and pins
// the session to one client only while an explicit transaction is open. A node-postgres query is an extended-
// protocol batch (Parse, Bind, Describe, Execute, Sync) that is not in a transaction between its messages, so
// two clients' batches interleave and one binds the other's unnamed statement ("portal does not exist", or
// wrong rows): https://github.com/electric-sql/pglite/issues/1046 (open). `batchAffine` below pins the session
// from a batch's first message to its Sync as well, through the same `isInTransaction()` the server consults.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** More than the pools of every process of a fleet test together; clients beyond it are refused. */
const MAX_CONNECTIONS = 100;
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
/**
 * Frontend messages that open or continue an extended-protocol batch (Sync 'S' or Query 'Q' end it). COPY's
 * sub-protocol is not pinned: Lectern does not use it.
 */
const BATCH_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H']);

export interface PgliteSocket {
  /** `postgres://…@127.0.0.1:<port>/postgres`, for DATABASE_URL. */
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts the server in a child process on a free loopback port; resolves once it accepts connections. With
 * `dataDir` (a PGlite directory, e.g. `db/` of a copied template data dir) it opens that in place, which skips
 * PGlite's initdb (≈ 2 s instead of ≈ 10 s here); else an empty in-memory database.
 */
export async function startPgliteSocket(options: { dataDir?: string } = {}): Promise<PgliteSocket> {
  const child = spawn(process.execPath, [import.meta.filename, options.dataDir ?? 'memory://'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill); // a test that throws before its cleanup must not leave it running
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pglite-socket did not listen in 60 s:\n${output}`)),
      60_000,
    );
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /"listening":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`pglite-socket exited before listening:\n${output}`));
    });
  });
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    pid: child.pid!,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The PGlite as the socket server sees it: `isInTransaction()` is also true between the messages of one
 * client's extended-protocol batch (so the server keeps the session for that client until its Sync), and the
 * server's clean-up ROLLBACK after a client vanished mid-batch first ends the batch with a Sync of its own.
 */
function batchAffine(db: PGlite): PGlite {
  let inBatch = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => inBatch || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return async (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          await target.execProtocolRawStream(message, options);
          const type = String.fromCharCode(message[0] ?? 0);
          if (type === 'S' || type === 'Q') inBatch = false;
          else if (BATCH_MESSAGES.has(type)) inBatch = true;
        };
      }
      if (property === 'exec') {
        return async (...args: Parameters<PGlite['exec']>) => {
          if (inBatch) {
            await target.execProtocolRaw(SYNC);
            inBatch = false;
          }
          return target.exec(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function serve(dataDir: string): Promise<void> {
  const db = new PGlite(dataDir, { extensions: { vector } });
  await db.waitReady;
  const server = new PGLiteSocketServer({
    db: batchAffine(db),
    host: '127.0.0.1',
    port: 0,
    maxConnections: MAX_CONNECTIONS,
  });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
  process.once('SIGTERM', () => {
    void server
      .stop()
      .then(() => db.close())
      .finally(() => process.exit(0));
  });
}

if (import.meta.main) await serve(process.argv[2] ?? 'memory://');

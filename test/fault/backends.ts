// Fault-test backends: a PostgreSQL 15 and a Redis 7 of the test file's own (never the shared ones test/run.ts
// started), with the operator actions a fault test needs and the harness lacks: kill Redis by PID and start it
// again on the same port; stop, start and restart PostgreSQL with pg_ctl on its data dir and port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startPostgres, startRedis, type PostgresServer } from '../harness/servers.ts';
import { adminQuery } from '../harness/test-app.ts';

const isRoot = process.getuid?.() === 0;
const PG_BIN = '/usr/lib/postgresql/15/bin';

// Safety net for the servers started here: a test that throws before its cleanup must not leave them running.
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const hook of exitHooks) hook();
});

function run(cmd: string, args: string[], timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------------------

/** PING on a fresh connection that neither retries nor queues: resolves only when Redis really answers. */
export async function rawRedisPing(port: number): Promise<void> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  client.on('error', () => undefined); // the rejected promises below carry it
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('PING did not answer PONG');
  } finally {
    client.disconnect();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface RestartableRedis {
  url: string;
  port: number;
  /** PID of the redis-server running now. */
  pid(): number;
  /** SIGKILL by PID; resolves once the process is gone and a raw PING to the port fails. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port (empty: `--save ''`); resolves when it answers PING. */
  restart(): Promise<void>;
  /**
   * SIGSTOP: the process keeps its port and its connections but answers nothing (a hung or partitioned Redis),
   * and keeps its data for when it is resumed.
   */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  stop(): Promise<void>;
}

/**
 * A Redis that can be killed and restarted on its port. The first instance comes from the harness (which
 * installs redis-server when missing and picks a free port); restarts are spawned here with the same options.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const first = await startRedis();
  const { port } = first;
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-fault-redis-'));
  let pid = first.pid;
  let child: ChildProcess | undefined; // a restarted instance, once there is one
  let frozen = false;
  const killChildSync = () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  exitHooks.add(killChildSync);

  const thaw = () => {
    process.kill(pid, 'SIGCONT');
    frozen = false;
  };
  const answers = () =>
    rawRedisPing(port).then(
      () => true,
      () => false,
    );

  return {
    url: first.url,
    port,
    pid: () => pid,
    async kill() {
      process.kill(pid, 'SIGKILL');
      await until(`redis-server pid ${pid} to exit`, () => !pidAlive(pid), 10_000);
      if (await answers()) throw new Error(`Redis on port ${port} still answers after its kill`);
    },
    freeze() {
      process.kill(pid, 'SIGSTOP');
      frozen = true;
    },
    thaw,
    async restart() {
      for (let attempt = 1; ; attempt++) {
        let output = '';
        const spawned = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
          { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
        );
        spawned.stdout.on('data', (d: Buffer) => (output += d.toString()));
        spawned.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child = spawned;
        pid = spawned.pid!;
        const exited = () => spawned.exitCode !== null || spawned.signalCode !== null;
        await until(`redis-server on port ${port} to answer PING`, async () => exited() || answers(), 10_000);
        if (!exited()) return;
        // The port can stay briefly unavailable after the kill: try again, then give up with the output.
        if (attempt < 5 && /Address already in use/.test(output)) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        throw new Error(`redis-server could not restart on port ${port}:\n${output}`);
      }
    },
    async stop() {
      exitHooks.delete(killChildSync);
      if (frozen) thaw(); // a stopped process would hold SIGTERM until resumed
      await first.stop(); // the harness' instance (already dead after a kill) and its dir
      if (child && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child!.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------

async function pgBin(): Promise<string> {
  if (existsSync(path.join(PG_BIN, 'pg_ctl'))) return PG_BIN;
  return (await run('pg_config', ['--bindir'])).trim();
}

/** Runs pg_ctl on the server's data dir, as the postgres user when we are root (as the harness does). */
async function pgCtl(server: PostgresServer, args: string[]): Promise<void> {
  const pgCtlPath = path.join(await pgBin(), 'pg_ctl');
  // -l: the server's output goes to the harness' log file, not to our pipe (execFile would wait for it).
  const full = ['-D', server.dataDir, '-l', path.join(path.dirname(server.dataDir), 'postgres.log'), ...args];
  if (isRoot) await run('runuser', ['-u', 'postgres', '--', pgCtlPath, ...full]);
  else await run(pgCtlPath, full);
}

/**
 * The options the running server was started with, from `postmaster.opts` (what `pg_ctl restart` reuses), as
 * an `-o` string for `pg_ctl start`: same port, socket dir and settings.
 */
async function startOptions(server: PostgresServer): Promise<string> {
  const opts = await readFile(path.join(server.dataDir, 'postmaster.opts'), 'utf8');
  const tokens = [...opts.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === '-D')
      i++; // pg_ctl passes -D itself
    else if (!tokens[i]!.endsWith('/postgres')) kept.push(`'${tokens[i]}'`);
  }
  return kept.join(' ');
}

export interface FaultPostgres {
  server: PostgresServer;
  /** The database Lectern uses (created empty; `serve` migrates it). */
  databaseUrl: string;
  /** `pg_ctl restart -m fast`: disconnects every session, restarts on the same port, waits until it accepts. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`. */
  stopServer(): Promise<void>;
  /** `pg_ctl start` with the options of the first start (same port), waiting until it accepts connections. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultPostgres(): Promise<FaultPostgres> {
  const server = await startPostgres();
  const name = `lectern_fault_${randomBytes(4).toString('hex')}`;
  await adminQuery(server.url, `create database ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const options = await startOptions(server);
  return {
    server,
    databaseUrl: url.toString(),
    restart: () => pgCtl(server, ['-m', 'fast', '-w', '-t', '60', 'restart']),
    stopServer: () => pgCtl(server, ['-m', 'fast', '-w', '-t', '60', 'stop']),
    startServer: () => pgCtl(server, ['-o', options, '-w', '-t', '60', 'start']),
    stop: () => server.stop(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Process environments
// ---------------------------------------------------------------------------------------------------------

/**
 * The environment of fleet processes on these backends, with fresh secrets (fleet mode refuses to start
 * without them): build it once and hand the same object to every process that must trust the others' tokens.
 * Text search only: no pgvector here.
 */
export function fleetEnv(postgres: { databaseUrl: string }, redis: { url: string }, dataDir: string) {
  return {
    DATABASE_URL: postgres.databaseUrl,
    REDIS_URL: redis.url,
    VECTOR_SEARCH: 'off',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    URL_SIGNING_SECRET: randomBytes(32).toString('base64url'),
  };
}

/** A temporary DATA_DIR (local blob storage in fleet mode without S3), removed by the returned function. */
export async function tempDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-fault-data-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// Throwaway PostgreSQL 15 and Redis 7 servers on free loopback ports, for tests.
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

export interface PostgresServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}
export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;
const PG_BIN = '/usr/lib/postgresql/15/bin';

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `${cmd} ${args.join(' ')} failed (${err.killed ? 'timed out' : `exit ${err.code}`}):\n${stderr}${stdout}`.trim(),
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

// initdb/postgres refuse to run as root, so as root they run as the `postgres` user.
const asPostgres = (cmd: string, args: string[]): [string, string[]] =>
  isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];

// Safety net: if a test forgets stop() or the process exits early, don't leave servers behind.
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      /* best effort */
    }
  }
});

let aptUpdated: Promise<unknown> | undefined;
async function aptInstall(pkg: string): Promise<void> {
  if (!isRoot)
    throw new Error(
      `${pkg} is not installed and we are not root: install it (apt-get install ${pkg}) to run these tests`,
    );
  // Parallel test workers may install at once: wait for the dpkg lock instead of failing.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  aptUpdated ??= run('apt-get', [...lock, 'update'], { timeoutMs: 600_000 });
  await aptUpdated;
  process.env.DEBIAN_FRONTEND = 'noninteractive';
  await run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', pkg], { timeoutMs: 900_000 });
}

const hasVersion = (cmd: string, re: RegExp): Promise<boolean> =>
  run(cmd, ['--version'], { timeoutMs: 10_000 }).then(
    (out) => re.test(out),
    () => false,
  );

let pgBinDir: Promise<string> | undefined;
function findPgBin(): Promise<string> {
  return (pgBinDir ??= (async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const dirs = [PG_BIN, (await run('pg_config', ['--bindir']).catch(() => '')).trim()].filter(Boolean);
      for (const dir of dirs) if (await hasVersion(join(dir, 'initdb'), /\b15\./)) return dir;
      if (await hasVersion('initdb', /\b15\./)) return ''; // on PATH
      if (attempt === 0) await aptInstall('postgresql-15');
    }
    throw new Error('PostgreSQL 15 initdb not found after installing postgresql-15');
  })());
}

/** promtool (Debian `prometheus`) checks the /metrics exposition in the HTTP platform suite. */
export async function ensurePromtool(): Promise<void> {
  if (await hasVersion('promtool', /promtool/)) return;
  await aptInstall('prometheus');
  if (!(await hasVersion('promtool', /promtool/)))
    throw new Error('promtool not found after installing prometheus');
}

let redisBin: Promise<string> | undefined;
function findRedis(): Promise<string> {
  return (redisBin ??= (async () => {
    if (!(await hasVersion('redis-server', /v=7\./))) await aptInstall('redis-server');
    if (!(await hasVersion('redis-server', /v=7\./)))
      throw new Error('redis-server 7 not found after installing redis-server');
    return 'redis-server';
  })());
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

export async function startPostgres(): Promise<PostgresServer> {
  const bin = await findPgBin();
  const tool = (name: string) => (bin ? join(bin, name) : name);
  const root = await mkdtemp(join(tmpdir(), 'lectern-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const pgRun = (cmd: string, args: string[], timeoutMs?: number) =>
    run(...asPostgres(tool(cmd), args), { cwd: root, timeoutMs });
  try {
    if (isRoot) {
      const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).trim());
      await chown(root, await id('-u'), await id('-g'));
    }
    const initArgs = ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'];
    await pgRun('initdb', [...initArgs, '--locale=C.UTF-8']).catch(async () => {
      await rm(dataDir, { recursive: true, force: true });
      await pgRun('initdb', [...initArgs, '--locale=C']);
    });
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const opts = `-p ${port} -k '${root}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
      try {
        await pgRun('pg_ctl', ['-D', dataDir, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start'], 90_000);
      } catch (err) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        // Another process grabbed the port between freePort() and bind: try a new one.
        if (attempt < 3 && /Address already in use/.test(log)) continue;
        throw new Error(
          `PostgreSQL failed to start on port ${port}: ${(err as Error).message}\n--- server log tail ---\n${tail(log)}`,
          { cause: err },
        );
      }
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const stopSync = () => {
        const [c, a] = asPostgres(tool('pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
        spawnSync(c, a, { stdio: 'ignore', cwd: root });
        rmSync(root, { recursive: true, force: true });
      };
      exitHooks.add(stopSync);
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          exitHooks.delete(stopSync);
          // Fails harmlessly when a fault test already killed the server.
          await pgRun('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], 60_000).catch(
            () => undefined,
          );
          await rm(root, { recursive: true, force: true });
        })());
      try {
        const client = new pg.Client({
          connectionString: url,
          connectionTimeoutMillis: 10_000,
          query_timeout: 10_000,
        });
        await client.connect();
        try {
          const { rows } = await client.query<{ version: string }>('select version()');
          if (!rows[0]?.version.includes('PostgreSQL 15'))
            throw new Error(`expected PostgreSQL 15, got ${rows[0]?.version}`);
        } finally {
          await client.end();
        }
      } catch (err) {
        await stop();
        throw err;
      }
      return { url, port, dataDir, stop };
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function pingRedis(port: number): Promise<string> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 1000,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined); // errors surface via the rejected promises below
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('PING did not answer PONG');
    return await client.info('server');
  } finally {
    client.disconnect();
  }
}

export async function startRedis(): Promise<RedisServer> {
  const bin = await findRedis();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'lectern-redis-'));
    const args = `--port ${port} --bind 127.0.0.1 --appendonly no --daemonize no`.split(' ');
    const child = spawn(bin, [...args, '--save', '', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const killSync = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    exitHooks.add(killSync);
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        exitHooks.delete(killSync);
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          if (!(await waitExit(child, 3000))) {
            child.kill('SIGKILL');
            await waitExit(child, 3000);
          }
        }
        await rm(dir, { recursive: true, force: true });
      })());
    let exited = false;
    // 'close' (not 'exit'): the output is fully read by then.
    const closed = new Promise<undefined>((resolve) => {
      child.once('close', () => {
        exited = true;
        resolve(undefined);
      });
      child.once('error', (err) => {
        exited = true;
        output += String(err);
        resolve(undefined);
      });
    });
    const deadline = Date.now() + 10_000;
    let info: string | undefined;
    let lastErr: unknown;
    while (!exited && Date.now() < deadline) {
      try {
        info = await Promise.race([pingRedis(port), closed]);
        if (info !== undefined) break;
      } catch (err) {
        lastErr = err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (info === undefined || exited) {
      await stop();
      if (attempt < 3 && /Address already in use/.test(output)) continue;
      const why = exited
        ? `exited early (code ${child.exitCode}, signal ${child.signalCode})`
        : `not ready within 10 s (${String(lastErr)})`;
      throw new Error(`redis-server on port ${port} ${why}\n--- output tail ---\n${tail(output)}`);
    }
    if (!/redis_version:7\./.test(info)) {
      await stop();
      throw new Error(`expected Redis 7, got: ${/redis_version:\S+/.exec(info)?.[0]}`);
    }
    return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid as number, stop }; // it answered PING, so it spawned
  }
}

import { fileURLToPath } from 'node:url';
import { prepareDataDir } from './data-dir.ts';
import type { DatasetSpec } from './data-dir.ts';
import { startFakeOpenAi } from '../../test/fakes/openai-server.ts';
import { prepareFleetData } from './fleet-data.ts';
import type { FleetBackends } from './fleet.ts';
import { freePort, waitForOk } from './net.ts';
import { spawnNode } from './processes.ts';
import type { Child } from './processes.ts';

export type ServerSpec =
  | { kind: 'ceiling' }
  /**
   * `env` is for configuration switches a scenario compares against (e.g. CACHE=off); `entry`, a script under
   * the repository root that starts Lectern in place of `bin/lectern.js serve` (a baseline route added);
   * `model`, a local OpenAI-compatible test server (in this process) answering chat with a fixed time to first
   * token, so what Lectern adds around a model call can be told apart from the model.
   */
  | {
      kind: 'lectern';
      dataset: DatasetSpec;
      env?: Record<string, string>;
      entry?: string;
      model?: { firstTokenMs: number; answer: string };
    };

export interface RunningServer {
  key: string;
  baseUrl: string;
  child: Child;
  /** Milliseconds from spawning the process to its ready endpoint answering 200. */
  readyMs: number;
}

export interface StartOptions {
  tmpRoot: string;
  signal: AbortSignal;
  /** Fleet mode: the run's PostgreSQL and Redis; absent in embedded mode. */
  fleet?: FleetBackends;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CEILING_SERVER = fileURLToPath(new URL('../ceiling-server.ts', import.meta.url));
const READY_TIMEOUT_MS = 90_000; // a fresh PGlite data dir takes ~6 s, more on a busy machine

/** Equal keys mean one server process can serve both scenarios. */
export function serverKey(spec: ServerSpec): string {
  return JSON.stringify(spec);
}

/** The environment Lectern benches run with, stated in the results header. */
export const LECTERN_BENCH_ENV = {
  LOG_LEVEL: 'warn',
  OVERLOAD_PROTECTION: 'off',
  RATE_LIMIT: 'off',
  LOGIN_MAX_FAILURES: '1000000',
  ACCESS_TOKEN_TTL_SECONDS: '86400', // long runs must not see tokens expire mid-load
  // Seeded members were last active when the dataset was made, which may be long ago: fan-out must still reach them.
  FEED_INACTIVE_AFTER_DAYS: '3650',
} as const;

function inheritedEnv(): NodeJS.ProcessEnv {
  // A DATABASE_URL or REDIS_URL in the caller's shell must not leak in: fleet mode sets the run's own.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  return env;
}

export async function startServer(spec: ServerSpec, options: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { ...inheritedEnv(), HOST: '127.0.0.1', PORT: String(port) };
  const spawnedAt = performance.now();
  let child: Child;
  let afterReady: ((child: Child) => Child) | undefined;
  let readyPath: string;
  switch (spec.kind) {
    case 'ceiling':
      child = spawnNode('ceiling-server', [CEILING_SERVER], { cwd: ROOT, env });
      readyPath = '/';
      break;
    case 'lectern': {
      const data = await lecternData(spec.dataset, options);
      const model = spec.model && (await startFakeOpenAi({ firstTokenDelayMs: spec.model.firstTokenMs }));
      model?.reply(spec.model!.answer);
      const modelEnv = model ? { AI_BASE_URL: model.url } : {};
      const lecternEnv = { ...env, ...LECTERN_BENCH_ENV, ...data.env, ...modelEnv, ...spec.env };
      child = spawnNode('lectern', spec.entry ? [spec.entry] : ['bin/lectern.js', 'serve'], {
        cwd: ROOT,
        env: lecternEnv,
      });
      if (model) child = stopsToo(child, () => model.close());
      // Fleet: `serve` runs no jobs; a worker process does (started once serve has migrated the database).
      if (options.fleet) afterReady = (serve) => withWorker(serve, lecternEnv);
      readyPath = '/health/ready';
      break;
    }
  }
  try {
    await waitForOk(baseUrl + readyPath, child, READY_TIMEOUT_MS, options.signal);
  } catch (error) {
    await child.stop();
    throw error;
  }
  const readyMs = performance.now() - spawnedAt;
  return { key: serverKey(spec), baseUrl, child: afterReady ? afterReady(child) : child, readyMs };
}

/** The data dir, and in fleet mode the database, a Lectern server starts on. */
async function lecternData(
  dataset: DatasetSpec,
  options: StartOptions,
): Promise<{ env: Record<string, string> }> {
  if (!options.fleet) {
    return { env: { DATA_DIR: await prepareDataDir(dataset, options.tmpRoot, options.signal) } };
  }
  await options.fleet.flushRedis();
  const { database, dataDir } = await prepareFleetData(options.fleet, dataset, options.tmpRoot);
  return { env: { DATA_DIR: dataDir, ...options.fleet.env(database) } };
}

function withWorker(serve: Child, env: NodeJS.ProcessEnv): Child {
  const worker = spawnNode('lectern worker', ['bin/lectern.js', 'worker'], { cwd: ROOT, env });
  return stopsToo(serve, () => worker.stop());
}

/** The same child, whose stop() also ends a helper that lives as long as it does. */
function stopsToo(child: Child, stopHelper: () => Promise<void>): Child {
  return {
    ...child,
    async stop() {
      await child.stop();
      await stopHelper();
    },
  };
}

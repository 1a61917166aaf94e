import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED_PASSWORD, SEED_VERSION, type Scale } from '../../src/cli/seed/seed-plan.ts';

/**
 * The data a Lectern server starts with: nothing, or what `lectern seed --scale <scale>` creates (demo users
 * `demo1@example.com`… with the seed's default password), generated once into `bench/.data/<SEED_VERSION>-<scale>` and
 * copied from there into the run's temp dir.
 */
export type DatasetSpec = { kind: 'empty' } | { kind: 'seeded'; scale: Scale };

export const BENCH_SEED_PASSWORD = DEFAULT_SEED_PASSWORD;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = join(ROOT, 'bench', '.data');
/** Generous for `small` and `medium` on 2 cores; the seed itself gives up sooner when nothing moves. */
const SEED_TIMEOUT_MS = 30 * 60_000;

/** A fresh data dir under `tmpRoot` (the invocation's temp dir, deleted at the end of the run). */
export async function prepareDataDir(
  spec: DatasetSpec,
  tmpRoot: string,
  signal: AbortSignal,
): Promise<string> {
  switch (spec.kind) {
    case 'empty':
      return mkdtemp(join(tmpRoot, 'data-empty-'));
    case 'seeded': {
      const seeded = await seededDataDir(spec.scale, signal);
      const dir = await mkdtemp(join(tmpRoot, `data-${spec.scale}-`));
      await cp(seeded, dir, { recursive: true });
      return dir;
    }
  }
}

/**
 * Makes the cached data dir of every seeded dataset these servers use that is not there yet; returns a header line
 * per dataset with its cold seed time (measured when it was made, kept beside it), reported apart from the run.
 */
export async function seedDatasets(servers: ServerSpecLike[], signal: AbortSignal): Promise<string[]> {
  const scales = new Set(servers.flatMap((s) => (s.dataset?.kind === 'seeded' ? [s.dataset.scale] : [])));
  const notes: string[] = [];
  for (const scale of scales) {
    const dir = await seededDataDir(scale, signal);
    const cold = await readFile(`${dir}.seed.json`, 'utf8').then(
      (text) => JSON.parse(text) as ColdSeed,
      () => undefined,
    );
    notes.push(
      `Dataset \`${scale}\` (\`bench/.data/${SEED_VERSION}-${scale}\`): ` +
        (cold
          ? `cold seed ${cold.seconds.toFixed(0)} s on ${cold.seededAt.slice(0, 10)}`
          : 'cold seed time not recorded'),
    );
  }
  return notes;
}

interface ColdSeed {
  seconds: number;
  seededAt: string;
}

/** A ServerSpec (servers.ts), of which only the dataset matters here. */
type ServerSpecLike = { kind: string; dataset?: DatasetSpec };

/** The cached seeded data dir, made first when missing (into a temp name, renamed once complete). */
async function seededDataDir(scale: Scale, signal: AbortSignal): Promise<string> {
  const dir = join(CACHE_DIR, `${SEED_VERSION}-${scale}`);
  if (existsSync(dir)) return dir;
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  console.log(`seeding the ${scale} dataset once into ${dir} (later runs reuse it)…`);
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  const started = performance.now();
  try {
    await runSeed(scale, { ...env, DATA_DIR: partial }, signal);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  const cold: ColdSeed = {
    seconds: (performance.now() - started) / 1000,
    seededAt: new Date().toISOString(),
  };
  await writeFile(`${dir}.seed.json`, JSON.stringify(cold));
  await rename(partial, dir);
  return dir;
}

/** Runs `lectern seed --scale <scale>` with `env` (its output shown), failing on a non-zero exit. */
export async function runSeed(scale: Scale, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, 'bin/lectern.js', 'seed', '--scale', scale], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit'],
    signal,
    timeout: SEED_TIMEOUT_MS,
  });
  child.on('error', () => undefined); // an abort surfaces below as a non-zero exit
  const [code] = (await once(child, 'exit')) as [number | null];
  signal.throwIfAborted();
  if (code !== 0) throw new Error(`lectern seed --scale ${scale} exited with ${code}`);
}

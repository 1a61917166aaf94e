// Seeded datasets in fleet mode: `lectern seed` once into the throwaway PostgreSQL (a `lectern worker` runs the
// pipeline), kept as a `pg_dump` plus the blob files under bench/.data/<seed version>-<scale>-fleet; each run
// restores the dump once into a template database and gives every server a copy of it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SEED_VERSION, type Scale } from '../../src/cli/seed/seed-plan.ts';
import { CACHE_DIR, runSeed, type DatasetSpec } from './data-dir.ts';
import type { FleetBackends } from './fleet.ts';
import { spawnNode } from './processes.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';
const pgTool = (name: string) => (existsSync(join(PG_BIN, name)) ? join(PG_BIN, name) : name);
const DUMP_TIMEOUT_MS = 10 * 60_000;

const cacheDir = (scale: Scale) => join(CACHE_DIR, `${SEED_VERSION}-${scale}-fleet`);

/** Makes the cached dump of every seeded dataset these servers use that is not there yet. */
export async function seedFleetDatasets(
  backends: FleetBackends,
  datasets: DatasetSpec[],
  signal: AbortSignal,
): Promise<void> {
  for (const dataset of datasets) {
    if (dataset.kind === 'seeded' && !existsSync(cacheDir(dataset.scale)))
      await seedIntoDump(backends, dataset.scale, signal);
  }
}

async function seedIntoDump(backends: FleetBackends, scale: Scale, signal: AbortSignal): Promise<void> {
  const dir = cacheDir(scale);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(partial, 'data'), { recursive: true });
  console.log(`seeding the ${scale} dataset into PostgreSQL once, dumped to ${dir} (later runs reuse it)…`);
  const database = `seed_${scale}`;
  await backends.createDatabase(database);
  const env = { ...process.env, ...backends.env(database), DATA_DIR: join(partial, 'data') };
  const tool = { cwd: ROOT, env, timeout: DUMP_TIMEOUT_MS, signal };
  try {
    // A worker does not migrate: the schema comes first.
    await run(process.execPath, [...process.execArgv, 'bin/lectern.js', 'migrate'], tool);
    const worker = spawnNode('lectern worker', ['bin/lectern.js', 'worker'], {
      cwd: ROOT,
      env: { ...env, LOG_LEVEL: 'error' },
    });
    try {
      await runSeed(scale, env, signal);
    } finally {
      await worker.stop();
    }
    const dump = ['-Fc', '-f', join(partial, 'db.dump'), '-d', backends.databaseUrl(database)];
    await run(pgTool('pg_dump'), dump, tool);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  await rename(partial, dir);
}

const restored = new Map<Scale, Promise<string>>();

/** The run's template database of `scale`, restored from the cached dump the first time it is asked for. */
function templateOf(backends: FleetBackends, scale: Scale): Promise<string> {
  let template = restored.get(scale);
  if (!template) {
    template = (async () => {
      const name = `template_${scale}`;
      await backends.createDatabase(name);
      const url = backends.databaseUrl(name);
      const dump = join(cacheDir(scale), 'db.dump');
      await run(pgTool('pg_restore'), ['--no-owner', '-d', url, dump], { timeout: DUMP_TIMEOUT_MS });
      return name;
    })();
    restored.set(scale, template);
  }
  return template;
}

let databases = 0;

/** A database of its own and a data dir (blob files) for one fleet server. */
export async function prepareFleetData(
  backends: FleetBackends,
  dataset: DatasetSpec,
  tmpRoot: string,
): Promise<{ database: string; dataDir: string }> {
  const database = `bench_${++databases}`;
  if (dataset.kind === 'empty') {
    await backends.createDatabase(database);
    return { database, dataDir: await mkdtemp(join(tmpRoot, 'data-empty-')) };
  }
  await backends.createDatabase(database, await templateOf(backends, dataset.scale));
  const dataDir = await mkdtemp(join(tmpRoot, `data-${dataset.scale}-`));
  await cp(join(cacheDir(dataset.scale), 'data'), dataDir, { recursive: true });
  return { database, dataDir };
}

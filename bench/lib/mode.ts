// What `--mode` changes before the first scenario: the backends, the datasets, and which scenarios can run.
import { scenarios, type ScenarioName } from '../scenarios/index.ts';
import { EMBEDDED_SKIPS, FLEET_SKIPS } from '../scenarios/references.ts';
import { seedDatasets } from './data-dir.ts';
import { seedFleetDatasets } from './fleet-data.ts';
import { startFleetBackends, type FleetBackends, type Mode } from './fleet.ts';

export interface PreparedMode {
  /** The selected scenarios this mode runs, in order. */
  scenarios: ScenarioName[];
  skipped: { name: string; reason: string }[];
  /** Lines for the results header. */
  notes: string[];
  /** Fleet mode's PostgreSQL and Redis, stopped by the caller. */
  fleet?: FleetBackends;
}

/** Starts what the mode needs and makes any missing cached dataset (outside the run's time cap). */
export async function prepareMode(
  mode: Mode,
  selected: ScenarioName[],
  signal: AbortSignal,
): Promise<PreparedMode> {
  const skips = mode === 'embedded' ? EMBEDDED_SKIPS : FLEET_SKIPS;
  const runnable = selected.filter((name) => skips[name] === undefined);
  const skipped = selected.flatMap((name) => {
    const reason = skips[name];
    return reason === undefined ? [] : [{ name, reason }];
  });
  if (mode === 'embedded') {
    const datasetNotes = await seedDatasets(
      runnable.map((name) => scenarios[name].server),
      signal,
    );
    return {
      scenarios: runnable,
      skipped,
      notes: [
        'Embedded: one `lectern serve` process on PGlite (pgvector included), jobs in the same process',
        ...datasetNotes,
      ],
    };
  }
  const fleet = await startFleetBackends();
  try {
    const datasets = runnable.flatMap((name) => {
      const server = scenarios[name].server;
      return server.kind === 'lectern' ? [server.dataset] : [];
    });
    await seedFleetDatasets(fleet, datasets, signal);
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return {
    scenarios: runnable,
    skipped,
    fleet,
    notes: [
      'Fleet: `lectern serve` plus one `lectern worker` process on a throwaway PostgreSQL 15 and Redis 7 on this ' +
        'machine (fsync off, as the test harness runs them), VECTOR_SEARCH=off (no pgvector): text search only',
      'Seeded data: `lectern seed` into PostgreSQL once, restored from a cached pg_dump; a database copy per server',
    ],
  };
}

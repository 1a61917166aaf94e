import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The data a Lectern server starts with. Only `empty` exists today; DESIGN §11 adds
 * `{ kind: 'seeded'; scale: number }`, generated once by `lectern seed --scale` into
 * `bench/.data/<seed-version>-<scale>` and copied from there into the run's temp dir.
 */
export type DatasetSpec = { kind: 'empty' };

/** A fresh data dir under `tmpRoot` (the invocation's temp dir, deleted at the end of the run). */
export async function prepareDataDir(spec: DatasetSpec, tmpRoot: string): Promise<string> {
  switch (spec.kind) {
    case 'empty':
      return mkdtemp(join(tmpRoot, 'data-empty-'));
  }
}

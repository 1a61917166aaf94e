import { LIBRARY_DATASET, libraryListUncached } from './library-list.ts';
import { defineScenario } from './scenario.ts';

/**
 * `library-list-uncached` with a pool of one connection (`DB_POOL_MAX=1`): the replaced apps' "4x throughput
 * from pooling" claim, as a switch. Only a fleet-mode figure: embedded PGlite has one session whatever the pool.
 */
export const libraryListPool1 = defineScenario({
  name: 'library-list-pool1',
  description:
    'library-list-uncached with DB_POOL_MAX=1: every request waits for the one connection (fleet mode; ' +
    'embedded PGlite serves one session at a time anyway).',
  server: {
    kind: 'lectern',
    dataset: LIBRARY_DATASET,
    env: { CACHE: 'off', DB_POOL_MIN: '1', DB_POOL_MAX: '1' },
  },
  setup: libraryListUncached.setup,
});

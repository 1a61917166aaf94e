import { NAIVE_LIBRARY_PATH } from '../baselines/library-list-paths.ts';
import type { DatasetSpec } from '../lib/data-dir.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario } from './scenario.ts';

/** `medium` gives each seeded user 40 documents: a full first page of the library. */
export const LIBRARY_DATASET: DatasetSpec = { kind: 'seeded', scale: 'medium' };
const PAGE = 40;

export const libraryList = defineScenario({
  name: 'library-list',
  description: `GET /api/v1/documents?limit=${PAGE} (tags included), cache on: a cached page after the warm-up.`,
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  async setup({ baseUrl, signal }) {
    return { path: `/api/v1/documents?limit=${PAGE}`, headers: await signInSeeded(baseUrl, signal) };
  },
});

export const libraryListUncached = defineScenario({
  name: 'library-list-uncached',
  description: `The same page with CACHE=off: the user lookup and the page (tags aggregated in it) from SQL.`,
  server: { kind: 'lectern', dataset: LIBRARY_DATASET, env: { CACHE: 'off' } },
  async setup({ baseUrl, signal }) {
    return { path: `/api/v1/documents?limit=${PAGE}`, headers: await signInSeeded(baseUrl, signal) };
  },
});

export const libraryListNaive = defineScenario({
  name: 'library-list-naive',
  description:
    `The N+1 baseline (bench/baselines/library-list.ts: one query for the page, one per document for its tags) ` +
    `behind the same authentication, presenter and schema, CACHE=off.`,
  server: {
    kind: 'lectern',
    dataset: LIBRARY_DATASET,
    env: { CACHE: 'off' },
    entry: 'bench/baselines/library-list-server.ts',
  },
  async setup({ baseUrl, signal }) {
    return { path: `${NAIVE_LIBRARY_PATH}?limit=${PAGE}`, headers: await signInSeeded(baseUrl, signal) };
  },
});

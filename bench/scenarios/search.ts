import { LIBRARY_DATASET } from './library-list.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario, type LoadTarget, type ScenarioContext } from './scenario.ts';
import { DISTINCT_QUERIES, seededQuery } from './search-queries.ts';

type Mode = 'hybrid' | 'vector' | 'text';

/**
 * Each uncached scenario draws from its own range of the seeded queries, so no query embedding cached by an
 * earlier scenario on the same server is hit (the cache keeps query vectors for 24 h); a range outlasts a run
 * at the rates this machine serves. The cached scenario cycles a few queries the warm-up has embedded.
 */
const RANGES = { hybrid: 0, vector: 1, text: 2 } as const;
const RANGE_SIZE = Math.floor(DISTINCT_QUERIES / 3);
const CACHED_QUERIES = 20;
/** Queries checked for hits before the load starts (text mode, which needs every word in one chunk). */
const CHECKED = 30;

const searchPath = (mode: Mode, query: string) =>
  `/api/v1/search?mode=${mode}&limit=10&q=${encodeURIComponent(query)}`;

interface SearchBody {
  hits: unknown[];
}

async function searchOnce(ctx: ScenarioContext, headers: Record<string, string>, path: string) {
  const response = await fetch(ctx.baseUrl + path, { headers, signal: ctx.signal });
  if (response.status !== 200)
    throw new Error(`${path} returned ${response.status}: ${await response.text()}`);
  const { hits } = (await response.json()) as SearchBody;
  if (hits.length === 0)
    throw new Error(`${path} found nothing: a benchmark of empty results measures nothing`);
  return response.headers.get('server-timing') ?? '';
}

/**
 * Signs in, proves that queries from this range find hits (spread over the range, text mode, so the query
 * embedding cache is not primed), prints the stage split of a few first-time requests in `mode`, and returns the
 * load target walking through `queries` in order.
 */
async function searchTarget(
  ctx: ScenarioContext,
  mode: Mode,
  queries: (n: number) => string,
): Promise<LoadTarget> {
  const headers = await signInSeeded(ctx.baseUrl, ctx.signal);
  const step = Math.floor(RANGE_SIZE / CHECKED);
  for (let n = step - 1; n < RANGE_SIZE; n += step)
    await searchOnce(ctx, headers, searchPath('text', queries(n)));
  let next = 0;
  const nextPath = () => searchPath(mode, queries(next++));
  const timings = [];
  for (let i = 0; i < 3; i++) timings.push(await searchOnce(ctx, headers, nextPath()));
  console.log(`  search ${mode}, first requests' Server-Timing:\n    ${timings.join('\n    ')}`);
  return { path: searchPath(mode, queries(0)), nextPath, headers };
}

/**
 * On 100k chunks a vector or hybrid search holds the embedded engine's one session for 100–160 ms: 100 clients
 * would queue past DB_BUSY_TIMEOUT_MS (5 s) and get 503s. Eight keep the queue near a second.
 */
const SEARCH_CONNECTIONS = 8;

const uncached = (mode: Mode) => (n: number) => seededQuery(RANGES[mode] * RANGE_SIZE + (n % RANGE_SIZE));

export const searchHybrid = defineScenario({
  name: 'search-hybrid',
  description:
    'GET /api/v1/search?mode=hybrid&limit=10, a new query each request (query embedding not cached): ' +
    'embedding, vector and full-text lists fused by RRF in one statement, on the seeded medium library (101k chunks), 8 connections.',
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  connections: SEARCH_CONNECTIONS,
  setup: (ctx) => searchTarget(ctx, 'hybrid', uncached('hybrid')),
});

export const searchHybridCached = defineScenario({
  name: 'search-hybrid-cached',
  description: `The same with ${CACHED_QUERIES} queries in turn: their embeddings come from the cache after the warm-up.`,
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  connections: SEARCH_CONNECTIONS,
  setup: (ctx) =>
    searchTarget(ctx, 'hybrid', (n) => seededQuery(DISTINCT_QUERIES - 1 - (n % CACHED_QUERIES))),
});

export const searchVector = defineScenario({
  name: 'search-vector',
  description:
    'GET /api/v1/search?mode=vector&limit=10, a new query each request: embedding and the vector list only.',
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  connections: SEARCH_CONNECTIONS,
  setup: (ctx) => searchTarget(ctx, 'vector', uncached('vector')),
});

export const searchText = defineScenario({
  name: 'search-text',
  description:
    'GET /api/v1/search?mode=text&limit=10, a new query each request: full-text (GIN) only, no embedding.',
  server: { kind: 'lectern', dataset: LIBRARY_DATASET },
  connections: SEARCH_CONNECTIONS,
  setup: (ctx) => searchTarget(ctx, 'text', uncached('text')),
});

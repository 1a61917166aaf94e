import type { ScenarioName } from './index.ts';

/**
 * The "vs baseline" column: a scenario's req/s ÷ its baseline's, both from the same invocation. The baseline is
 * the naive version of the same answer (N+1, cache off, one connection) or the same request without the
 * feature whose cost is measured (rate limiter, compression).
 */
export const BASELINES: Partial<Record<ScenarioName, ScenarioName>> = {
  'library-list': 'library-list-naive',
  'library-list-uncached': 'library-list-naive',
  'library-list-pool1': 'library-list-uncached',
  'document-metadata': 'document-metadata-uncached',
  'feed-10': 'feed-10-uncached',
  'feed-200': 'feed-200-uncached',
  'feed-2000': 'feed-2000-naive',
  'feed-2000-uncached': 'feed-2000-naive',
  'search-hybrid-cached': 'search-hybrid',
  'me-rate-limited': 'me',
  'compression-gzip': 'compression-identity',
  'compression-br': 'compression-identity',
};

const NO_VECTORS = 'needs pgvector (the throwaway PostgreSQL has none; fleet runs with VECTOR_SEARCH=off)';

/** What embedded mode does not run, and why. */
export const EMBEDDED_SKIPS: Partial<Record<ScenarioName, string>> = {
  'library-list-pool1':
    'PGlite serves one session at a time, so the pool size changes nothing here: a --mode fleet figure',
};

/** What fleet mode cannot run, and why. */
export const FLEET_SKIPS: Partial<Record<ScenarioName, string>> = {
  'search-hybrid': NO_VECTORS,
  'search-vector': NO_VECTORS,
  'search-hybrid-cached': NO_VECTORS,
  'chat-rag': `${NO_VECTORS}: retrieval without vectors is another figure`,
  'chat-extractive': `${NO_VECTORS}: retrieval without vectors is another figure`,
  'ingest-pages': 'no embedder without pgvector: pages per minute would leave the embedding out',
};

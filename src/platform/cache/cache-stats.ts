import { CACHE_NAMESPACE_NAMES, type CacheNamespace } from './cache-namespaces.ts';
import type { CacheResult, CacheStats } from './cache.ts';

export type RecordCacheRequest = (ns: CacheNamespace, result: CacheResult) => void;

/** Hit and miss counts per namespace for `stats()`, forwarded to `record` (the Prometheus counter). */
export function createCacheCounters(record: RecordCacheRequest | undefined) {
  const counts = Object.fromEntries(
    CACHE_NAMESPACE_NAMES.map((ns) => [ns, { hits: 0, misses: 0 }]),
  ) as Record<CacheNamespace, { hits: number; misses: number }>;
  return {
    count(ns: CacheNamespace, result: CacheResult): void {
      if (result === 'miss') counts[ns].misses++;
      else counts[ns].hits++;
      record?.(ns, result);
    },
    stats(): CacheStats {
      const stats = {} as CacheStats;
      for (const ns of CACHE_NAMESPACE_NAMES) {
        const { hits, misses } = counts[ns];
        stats[ns] = { hits, misses, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
      }
      return stats;
    },
  };
}

export type CacheCounters = ReturnType<typeof createCacheCounters>;

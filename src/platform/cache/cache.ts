import type { CacheNamespace } from './cache-namespaces.ts';

/** How a lookup was answered: from the cache, by the source, or stale (the source failed or was slow). */
export type CacheResult = 'hit' | 'miss' | 'stale';

/** Per namespace since start; a stale answer counts as a hit (it was served from the cache). */
export type CacheStats = Record<CacheNamespace, { hits: number; misses: number; hitRate: number }>;

/**
 * The cache port (DESIGN §8). Values must be JSON-serialisable and never `undefined` (use `null`): every
 * adapter hands back the JSON form, in memory as in Redis, so a Date comes back as its ISO string. Keys are
 * scoped by namespace; tags (`doc:<id>`, `owner:<id>`) span namespaces.
 */
export interface Cache {
  /**
   * The cached value, or the factory's (stored for the namespace's TTL). Concurrent calls for one key in a
   * process share one factory call. When the factory throws after the entry expired, the expired value is
   * served instead (grace), except for an AppError — a domain answer such as "not found" — and in
   * access-guarding namespaces; with nothing to serve, the factory's own error is thrown.
   */
  getOrSet<T>(
    ns: CacheNamespace,
    key: string,
    factory: () => Promise<T>,
    options?: { tags?: string[] },
  ): Promise<T>;
  /** The cached value, or undefined: unlike getOrSet it never falls back to an expired value. */
  get<T>(ns: CacheNamespace, key: string): Promise<T | undefined>;
  set<T>(ns: CacheNamespace, key: string, value: T, options?: { tags?: string[] }): Promise<void>;
  delete(ns: CacheNamespace, key: string): Promise<void>;
  /** Invalidates every entry carrying any of these tags, in every namespace and process. */
  deleteByTags(tags: string[]): Promise<void>;
  stats(): CacheStats;
  close(): Promise<void>;
}

/** A value as it comes back from any cache: its JSON form (stored values are serialised in memory too). */
export function jsonForm<T>(value: T): T {
  if (value === undefined) throw new TypeError('Cache values must not be undefined (use null)');
  return JSON.parse(JSON.stringify(value)) as T;
}

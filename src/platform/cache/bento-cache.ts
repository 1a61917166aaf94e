import { errors, type BentoCache, type BentoStore } from 'bentocache';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import {
  assertTaggable,
  CACHE_NAMESPACE_NAMES,
  CACHE_NAMESPACES,
  storedKey,
  type CacheNamespace,
} from './cache-namespaces.ts';
import type { CacheCounters } from './cache-stats.ts';
import { jsonForm, type Cache, type CacheResult } from './cache.ts';

/** The Cache port over a BentoCache instance (memory only, or memory + Redis + bus: see create-cache.ts). */
export function createBentoCacheAdapter(
  bento: BentoCache<Record<string, BentoStore>>,
  deps: { counters: CacheCounters; logger: Logger; ttlMs: Record<CacheNamespace, number> },
): Cache {
  const { counters, logger } = deps;
  // After deleteByTags BentoCache only expires entries, keeping them for grace: access-guarding namespaces
  // get no grace, so an invalidated entry there can never be served again.
  const entryOptions = Object.fromEntries(
    CACHE_NAMESPACE_NAMES.map((ns) => [
      ns,
      CACHE_NAMESPACES[ns].guardsAccess
        ? { ttl: deps.ttlMs[ns], grace: false as const }
        : { ttl: deps.ttlMs[ns] },
    ]),
  ) as Record<CacheNamespace, { ttl: number; grace?: false }>;

  return {
    async getOrSet<T>(
      ns: CacheNamespace,
      key: string,
      factory: () => Promise<T>,
      options?: { tags?: string[] },
    ): Promise<T> {
      assertTaggable(ns, options?.tags);
      let called = false;
      let fresh = false;
      let failure: unknown;
      try {
        const value = await bento.getOrSet<T | undefined>({
          key: storedKey(ns, key),
          ...entryOptions[ns],
          tags: options?.tags,
          factory: async (ctx) => {
            called = true;
            try {
              const result = await factory();
              fresh = true;
              return result;
            } catch (error) {
              failure = error;
              // A domain answer (not found, forbidden) is the truth, not an outage: never mask it with a
              // stale value. skip() stores nothing and serves no grace.
              if (error instanceof AppError) return ctx.skip();
              throw error;
            }
          },
        });
        if (failure instanceof AppError) throw failure;
        const result: CacheResult = !called ? 'hit' : fresh ? 'miss' : 'stale';
        counters.count(ns, result);
        if (result === 'stale')
          logger.warn(
            { err: failure, namespace: ns },
            'cache served a stale value: its source failed or is slow',
          );
        // A hit is read back from storage; give the caller of a miss the same JSON form.
        return (result === 'miss' ? jsonForm(value) : value) as T;
      } catch (error) {
        counters.count(ns, 'miss');
        // BentoCache wraps the factory's error; callers get their own back.
        throw error instanceof errors.E_FACTORY_ERROR ? error.cause : error;
      }
    },

    async get<T>(ns: CacheNamespace, key: string): Promise<T | undefined> {
      const value = await bento.get<T | undefined>({ key: storedKey(ns, key), grace: false });
      counters.count(ns, value === undefined ? 'miss' : 'hit');
      return value;
    },

    async set(ns, key, value, options) {
      assertTaggable(ns, options?.tags);
      await bento.set({ key: storedKey(ns, key), value, ...entryOptions[ns], tags: options?.tags });
    },

    async delete(ns, key) {
      await bento.delete({
        key: storedKey(ns, key),
        ...(CACHE_NAMESPACES[ns].guardsAccess ? { suppressL2Errors: false } : {}),
      });
    },

    async deleteByTags(tags) {
      if (tags.length > 0) await bento.deleteByTag({ tags });
    },

    stats: () => counters.stats(),

    async close() {
      await bento.disconnect();
    },
  };
}

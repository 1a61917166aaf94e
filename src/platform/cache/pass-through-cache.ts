import { assertTaggable } from './cache-namespaces.ts';
import type { CacheCounters } from './cache-stats.ts';
import { jsonForm, type Cache } from './cache.ts';

/**
 * CACHE=off: every getOrSet calls its factory — the naive baseline the benchmarks compare against. Values
 * still make the JSON round trip a real cache makes, so code behaves the same whichever adapter runs.
 */
export function createPassThroughCache(counters: CacheCounters): Cache {
  return {
    async getOrSet(ns, _key, factory, options) {
      assertTaggable(ns, options?.tags);
      counters.count(ns, 'miss');
      return jsonForm(await factory());
    },
    async get(ns) {
      counters.count(ns, 'miss');
      return undefined;
    },
    async set(ns, _key, value, options) {
      assertTaggable(ns, options?.tags);
      jsonForm(value);
    },
    async delete() {},
    async deleteByTags() {},
    stats: () => counters.stats(),
    async close() {},
  };
}

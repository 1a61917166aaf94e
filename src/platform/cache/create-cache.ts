import { BentoCache, bentostore } from 'bentocache';
import { MemoryDriver, memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import type { CreateDriverResult, L1CacheDriver, MemoryConfig } from 'bentocache/types';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createBentoCacheAdapter } from './bento-cache.ts';
import {
  CACHE_NAMESPACE_NAMES,
  CACHE_NAMESPACES,
  GUARDED_L1_TTL_MS,
  isAccessGuardedKey,
  type CacheNamespace,
} from './cache-namespaces.ts';
import { createCacheCounters, type RecordCacheRequest } from './cache-stats.ts';
import type { Cache } from './cache.ts';
import { createPassThroughCache } from './pass-through-cache.ts';
import { createRedisBusTransport } from './redis-bus-transport.ts';

export type RedisOptionsOrUrl = string | RedisOptions;

/** Test knobs: short TTLs, and a key prefix (which also scopes bus messages) per test. */
export interface CacheTuning {
  prefix?: string;
  ttlMs?: Partial<Record<CacheNamespace, number>>;
  guardedL1TtlMs?: number;
}

// lru-cache allocates its index for maxItems up front (~8 ms per 50,000); maxSize is the real bound.
const MEMORY: MemoryConfig = { maxItems: 20_000, maxSize: '128mb' };

// A dead Redis must cost a request milliseconds, never a wait (DESIGN §8, measured). socketTimeout drops a
// connection whose Redis stops answering (frozen, partitioned): without it every command waited its 300 ms
// (1.2 s for one getOrSet, measured); with it one command does, then all fail at once until Redis is back.
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  commandTimeout: 300,
  maxRetriesPerRequest: 0,
  socketTimeout: 300,
};

/**
 * CACHE=off → pass-through; otherwise BentoCache with a memory tier, plus Redis L2 and the Redis bus when
 * Redis is configured (`deps.redis`, else REDIS_URL). Stampede protection is BentoCache's per-key lock (one
 * factory call per key per process); grace serves an expired value for 6 h while its source fails (retrying
 * the source every 30 s), and a source slower than 500 ms is answered with the expired value meanwhile.
 */
export function createCache(
  config: Config,
  deps: { redis?: RedisOptionsOrUrl; logger: Logger; recordRequest?: RecordCacheRequest },
  tuning: CacheTuning = {},
): Cache {
  const counters = createCacheCounters(deps.recordRequest);
  if (!config.cacheEnabled) return createPassThroughCache(counters);

  const redis = deps.redis ?? config.redisUrl;
  const store = bentostore();
  if (redis === undefined) {
    store.useL1Layer(memoryDriver(MEMORY));
  } else {
    const connection = connect(redis, FAIL_FAST, deps.logger, 'cache');
    const subscriber = connect(redis, { maxRetriesPerRequest: null }, deps.logger, 'cache bus');
    store
      .useL1Layer(guardedMemoryDriver(MEMORY, tuning.guardedL1TtlMs ?? GUARDED_L1_TTL_MS))
      .useL2Layer(redisDriver({ connection }))
      .useBus({
        options: { retryQueue: { enabled: true, maxSize: 1000 } },
        factory: () => createRedisBusTransport(connection, subscriber, deps.logger),
      });
  }
  const bento = new BentoCache({
    default: 'lectern',
    stores: { lectern: store },
    prefix: tuning.prefix ?? 'cache',
    grace: '6h',
    graceBackoff: '30s',
    timeout: '500ms',
  });
  bento.use(); // sets up the tiers (and the bus subscription) now rather than in the first request
  const ttlMs = Object.fromEntries(
    CACHE_NAMESPACE_NAMES.map((ns) => [ns, tuning.ttlMs?.[ns] ?? CACHE_NAMESPACES[ns].ttlMs]),
  ) as Record<CacheNamespace, number>;
  return createBentoCacheAdapter(bento, { counters, logger: deps.logger, ttlMs });
}

/**
 * The memory tier of fleet mode: entries of access-guarding namespaces stay in memory at most `maxTtlMs`
 * (then the next read goes to Redis, which keeps the full TTL), since other processes' invalidations reach
 * this memory only through the bus, eventually.
 */
function guardedMemoryDriver(config: MemoryConfig, maxTtlMs: number): CreateDriverResult<L1CacheDriver> {
  class GuardedMemoryDriver extends MemoryDriver {
    override set(key: string, value: string, ttl?: number): boolean {
      return super.set(key, value, isAccessGuardedKey(key) ? Math.min(ttl ?? maxTtlMs, maxTtlMs) : ttl);
    }
  }
  return { options: config, factory: (options: MemoryConfig) => new GuardedMemoryDriver(options) };
}

function connect(target: RedisOptionsOrUrl, options: RedisOptions, logger: Logger, role: string): Redis {
  const redis =
    typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error, role }, 'redis unavailable: the cache runs on memory');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'redis available again');
    down = false;
  });
  return redis;
}

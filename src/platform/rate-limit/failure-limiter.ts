import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/**
 * Counts failures per key (e.g. failed logins per account and address) within `blockSeconds`, and once
 * `maxFailures` is reached blocks the key for a full `blockSeconds` from that moment. On Redis when configured,
 * with an in-memory limiter as insurance so a Redis outage degrades to per-process counting instead of failing.
 */
export function createFailureLimiter(options: {
  keyPrefix: string;
  maxFailures: number;
  blockSeconds: number;
  redis: Redis | undefined;
}) {
  const base = { keyPrefix: options.keyPrefix, points: options.maxFailures, duration: options.blockSeconds };
  const memory = new RateLimiterMemory(base);
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({ ...base, storeClient: options.redis, insuranceLimiter: memory })
    : memory;
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  return {
    /** Seconds until the key may try again; 0 when it may try now. */
    async retryAfterSeconds(key: string): Promise<number> {
      const res = await limiter.get(key);
      return res && res.consumedPoints >= options.maxFailures ? seconds(res.msBeforeNext) : 0;
    },
    /** Records a failure; returns the seconds the key is now blocked for (0 if not blocked yet). */
    async recordFailure(key: string): Promise<number> {
      let consumed: number;
      try {
        consumed = (await limiter.consume(key)).consumedPoints;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        consumed = rejection.consumedPoints;
      }
      if (consumed < options.maxFailures) return 0;
      // The lockout runs from the failure that reached the limit, not from the first failure of the window.
      await limiter.block(key, options.blockSeconds);
      return options.blockSeconds;
    },
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;

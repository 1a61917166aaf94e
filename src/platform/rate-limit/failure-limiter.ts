import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/**
 * Counts failures per key (e.g. failed logins per account and address) and blocks the key for
 * `blockSeconds` once `maxFailures` is reached. On Redis when configured, with an in-memory limiter as
 * insurance so a Redis outage degrades to per-process counting instead of failing requests.
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

  return {
    /** Seconds until the key may try again; 0 when it may try now. */
    async retryAfterSeconds(key: string): Promise<number> {
      const res = await limiter.get(key);
      if (!res || res.consumedPoints < options.maxFailures) return 0;
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    },
    /** Records a failure; returns the seconds the key is now blocked for (0 if not blocked yet). */
    async recordFailure(key: string): Promise<number> {
      try {
        const res = await limiter.consume(key);
        return res.remainingPoints === 0 ? Math.ceil(res.msBeforeNext / 1000) : 0;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw rejection;
      }
    },
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;

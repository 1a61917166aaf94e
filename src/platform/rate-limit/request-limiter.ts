import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * A fixed-window request budget per key. On Redis (shared by every process of a fleet) with an in-memory
 * insurance limiter, so a Redis outage degrades to per-process limits and never to an error.
 */
export function createRequestLimiter(options: { name: string; perMinute: number; redis: Redis | undefined }) {
  const base = { keyPrefix: `rate-${options.name}`, points: options.perMinute, duration: 60 };
  const memory = new RateLimiterMemory(base);
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({ ...base, storeClient: options.redis, insuranceLimiter: memory })
    : memory;
  const decide = (res: RateLimiterRes, allowed: boolean): RateDecision => ({
    allowed,
    limit: options.perMinute,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });

  return {
    name: options.name,
    perMinute: options.perMinute,
    async consume(key: string): Promise<RateDecision> {
      try {
        return decide(await limiter.consume(key), true);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return decide(rejection, false);
        throw rejection;
      }
    },
  };
}

export type RequestLimiter = ReturnType<typeof createRequestLimiter>;

import { Redis } from 'ioredis';

export type { Redis };
import type { Logger } from './observability/logger.ts';

/**
 * A Redis connection for request-path work (rate limits, readiness): it fails fast instead of queueing
 * commands while Redis is down, so a Redis outage never holds an HTTP request (settings measured, DESIGN §8).
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: 300,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis available again');
    down = false;
  });
  return redis;
}

/**
 * PING that first waits (briefly) for a connection still being established: a fail-fast connection refuses
 * commands until then, which right after start-up would read as "Redis down".
 */
export async function pingRedis(redis: Redis, waitMs = 1000): Promise<void> {
  if (redis.status === 'connecting' || redis.status === 'connect' || redis.status === 'wait') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
  }
  await redis.ping();
}

import type { Database } from './platform/db/database.ts';
import type { VectorStatus } from './platform/db/migrate.ts';
import type { HealthCheck } from './platform/http/health.routes.ts';
import type { Queue } from './platform/queue/queue.ts';
import { pingRedis, type Redis } from './platform/redis.ts';
import type { BlobStorage } from './platform/storage/blob-storage.ts';

/** What /health/ready asks, in order. Redis and the queue are required only where they exist (fleet mode). */
export function healthChecks(deps: {
  database: Database;
  vector: VectorStatus;
  redis: Redis | undefined;
  storage: BlobStorage;
  queue: Queue<never>;
  /** The local embedder converts its word vectors once, in the background, at first start. */
  embedder: { readonly state: 'warming' | 'ready' | 'failed' } | undefined;
}): HealthCheck[] {
  const { database, vector, redis, storage, queue, embedder } = deps;
  const checks: HealthCheck[] = [
    {
      name: 'database',
      required: true,
      check: async () => {
        await database.ping();
        return { status: 'up', detail: database.engine };
      },
    },
    {
      name: 'vector',
      required: false,
      check: async () =>
        vector.enabled
          ? { status: 'up', detail: `pgvector ${vector.version}` }
          : { status: 'disabled', detail: vector.reason },
    },
    {
      name: 'storage',
      required: true,
      check: async () => {
        await storage.ping();
        return { status: 'up', detail: storage.kind };
      },
    },
    {
      name: 'queue',
      required: true,
      check: async () => {
        await queue.ping();
        return { status: 'up', detail: queue.kind };
      },
    },
  ];
  if (embedder) {
    checks.push({
      name: 'embedder',
      required: false,
      check: async () => ({
        status: embedder.state === 'ready' ? 'up' : embedder.state === 'warming' ? 'warming' : 'down',
        detail: 'local word vectors',
      }),
    });
  }
  if (redis) {
    checks.push({
      name: 'redis',
      required: true,
      check: async () => {
        await pingRedis(redis);
        return { status: 'up' };
      },
    });
  }
  return checks;
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** Every Prometheus series Lectern exports; names follow DESIGN §9 and pass `promtool check metrics`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges must not end in _total (promtool rejects them); nodejs_active_handles / _requests / _resources
  // (by type) carry the same figures.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(name);
  }
  let poolStats: () => PoolStats = () => ({ total: 0, idle: 0, waiting: 0 });
  const queues = new Map<string, () => Promise<{ oldestWaitingSeconds: number }>>();

  const metrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dbQueryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database statement duration by leading SQL keyword.',
      labelNames: ['operation'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    dbPoolConnections: new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting requests).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStats();
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    }),
    cacheRequests: new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by namespace and result (hit, miss, stale).',
      labelNames: ['namespace', 'result'] as const,
      registers: [registry],
    }),
    queueJobs: new Counter({
      name: 'queue_jobs_total',
      help: 'Jobs by queue and state change (enqueued, completed, skipped, retried, failed).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    queueOldestWaiting: new Gauge({
      name: 'queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting to run.',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        for (const [queue, read] of queues) {
          // A queue that cannot answer (Redis down) leaves the last value rather than failing the scrape.
          const stats = await read().catch(() => undefined);
          if (stats) this.set({ queue }, stats.oldestWaitingSeconds);
        }
      },
    }),
    outboxLag: new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest undelivered outbox event (0 when everything is delivered).',
      registers: [registry],
    }),
    outboxDeliveries: new Counter({
      name: 'outbox_deliveries_total',
      help: 'Outbox deliveries by consumer and result (delivered, retried, abandoned).',
      labelNames: ['consumer', 'result'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'rate_limited_requests_total',
      help: 'Requests refused with 429 by the rate limiter, by scope (ip, user).',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
    aiRequestDuration: new Histogram({
      name: 'ai_request_duration_seconds',
      help: 'Calls to the AI endpoint by task and model.',
      labelNames: ['task', 'model'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    aiTokens: new Counter({
      name: 'ai_tokens_total',
      help: 'Tokens used by task, model and kind (prompt, completion).',
      labelNames: ['task', 'model', 'kind'] as const,
      registers: [registry],
    }),
    s3OperationLatency: new Histogram({
      name: 's3_operation_latency_seconds',
      help: 'Blob storage operations by operation name.',
      labelNames: ['operation'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    observeQueue(name: string, read: () => Promise<{ oldestWaitingSeconds: number }>) {
      queues.set(name, read);
    },
    /** The database adapter tells the registry how to read its pool. */
    observePool(read: () => PoolStats) {
      poolStats = read;
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

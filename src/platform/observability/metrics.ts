import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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
    /** The database adapter tells the registry how to read its pool. */
    observePool(read: () => PoolStats) {
      poolStats = read;
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface SocialCounts {
  connections: number;
  posts: number;
  users: number;
}

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
  let socialCounts: (() => Promise<SocialCounts>) | undefined;
  // A scrape collects every metric at once: the three gauges share the read in flight.
  let socialRead: Promise<SocialCounts | undefined> | undefined;
  const readSocialCounts = () => {
    socialRead ??= (socialCounts?.() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => (socialRead = undefined));
    return socialRead;
  };
  const socialGauge = (name: string, help: string, pick: (counts: SocialCounts) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        // A database that cannot answer leaves the last value rather than failing the scrape.
        const counts = await readSocialCounts();
        if (counts) this.set(pick(counts));
      },
    });

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
    courseEvents: new Counter({
      name: 'course_events_total',
      help: 'Course events consumed by analytics, by type (course.created, course.updated, course.deleted).',
      labelNames: ['type'] as const,
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
    aiTimeToFirstToken: new Histogram({
      name: 'ai_time_to_first_token_seconds',
      help: 'From the request to the first answer token, by task and engine (llm or extractive).',
      labelNames: ['task', 'engine'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    ragOverhead: new Histogram({
      name: 'rag_overhead_seconds',
      help: 'Everything a chat answer does before asking the model: history, retrieval, prompt.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
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
    feedRequests: new Counter({
      name: 'feed_requests_total',
      help: 'Feed pages served.',
      registers: [registry],
    }),
    feedLatency: new Histogram({
      name: 'feed_latency_seconds',
      help: 'Time to build a feed page, from the first statement to the hydrated page.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    digestRequests: new Counter({
      name: 'digest_requests_total',
      help: 'Digests served (GET /digest).',
      registers: [registry],
    }),
    digestLatency: new Histogram({
      name: 'digest_latency_seconds',
      help: 'Time to build a digest, summary included (a cached summary makes it fast).',
      buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
      registers: [registry],
    }),
    postCreations: new Counter({
      name: 'post_creations_total',
      help: 'Posts created.',
      registers: [registry],
    }),
    postCreationLatency: new Histogram({
      name: 'post_creation_latency_seconds',
      help: 'Time to create a post with its audience and outbox event (fan-out runs after, in a job).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    postDeletions: new Counter({
      name: 'post_deletions_total',
      help: 'Posts deleted.',
      registers: [registry],
    }),
    connectionRequests: new Counter({
      name: 'connection_requests_total',
      help: 'Connection requests made (a request answering a pending one accepts it).',
      registers: [registry],
    }),
    connectionAccepts: new Counter({
      name: 'connection_accepts_total',
      help: 'Connection requests accepted.',
      registers: [registry],
    }),
    activeConnections: socialGauge(
      'lectern_active_connections',
      'Accepted connections (pairs).',
      (counts) => counts.connections,
    ),
    posts: socialGauge('lectern_posts', 'Posts stored.', (counts) => counts.posts),
    users: socialGauge('lectern_users', 'User accounts.', (counts) => counts.users),
    wsConnections: new Gauge({
      name: 'lectern_ws_connections',
      help: 'Open WebSocket connections on this process.',
      registers: [registry],
    }),
    wsMessages: new Counter({
      name: 'ws_messages_total',
      help: 'WebSocket messages by direction (in: from clients, out: to clients).',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    wsSlowConsumersDropped: new Counter({
      name: 'ws_slow_consumers_dropped_total',
      help: 'WebSocket clients dropped because their send buffer outgrew WS_MAX_BUFFERED_BYTES.',
      registers: [registry],
    }),
    /** The social module tells the registry how to count connections, posts and users (read per scrape). */
    observeSocialCounts(read: () => Promise<SocialCounts>) {
      socialCounts = read;
    },
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

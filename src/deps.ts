import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config } from './config.ts';
import { createOutboxConsumers, type EventPayloads } from './events.ts';
import { healthChecks } from './health-checks.ts';
import { createJobDefinitions, PRUNE_EVERY_MS, type JobPayloads } from './jobs.ts';
import {
  createAccessTokens,
  createAuthenticate,
  createUsersRepository,
  createUsersService,
} from './modules/users/index.ts';
import { createAi } from './platform/ai/create-ai.ts';
import { createCache } from './platform/cache/create-cache.ts';
import type { Secrets } from './platform/data-dir/data-dir.ts';
import { createDatabase } from './platform/db/database.ts';
import { migrate as runMigrations, type VectorStatus } from './platform/db/migrate.ts';
import { idempotencySealKey, pruneIdempotencyKeys } from './platform/http/idempotency.ts';
import { createIdempotencyRepository } from './platform/http/idempotency.repository.ts';
import type { Logger } from './platform/observability/logger.ts';
import { createMetrics } from './platform/observability/metrics.ts';
import { createOutbox } from './platform/outbox/outbox.ts';
import { createMemoryPubSub, createRedisPubSub } from './platform/pubsub/pubsub.ts';
import { createQueue } from './platform/queue/create-queue.ts';
import { createReconciler } from './platform/queue/reconciler.ts';
import { createFailureLimiter } from './platform/rate-limit/failure-limiter.ts';
import { createRequestLimiter } from './platform/rate-limit/request-limiter.ts';
import { createRedis } from './platform/redis.ts';
import { createBlobStorage } from './platform/storage/create-blob-storage.ts';
import { createUrlSigner } from './platform/storage/url-signer.ts';

const OUTBOX_KEEP_DAYS = 7;
const RECONCILE_EVERY_MS = 60_000;

/**
 * The composition root: picks every adapter from the configuration and wires the modules. The only place
 * that knows which implementation sits behind each port.
 */
export async function createDeps(
  config: Config,
  secrets: Secrets,
  logger: Logger,
  options: { migrate: boolean },
) {
  const metrics = createMetrics();
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  eventLoopDelay.enable();

  const database = createDatabase(config, { logger, metrics });
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  let vector: VectorStatus;
  try {
    vector = options.migrate
      ? await runMigrations(database, config.db.vectorSearch)
      : { enabled: false, reason: 'not checked by this process' };
  } catch (error) {
    redis?.disconnect();
    await database.close();
    throw error;
  }

  const cache = createCache(config, {
    logger,
    recordRequest: (namespace, result) => metrics.cacheRequests.inc({ namespace, result }),
  });
  const storage = createBlobStorage(config, {
    signingSecret: secrets.urlSigning,
    observe: (operation, seconds) => metrics.s3OperationLatency.observe({ operation }, seconds),
  });
  const ai = createAi(config, {
    onUsage: ({ task, model, promptTokens, completionTokens }) => {
      metrics.aiTokens.inc({ task, model, kind: 'prompt' }, promptTokens);
      metrics.aiTokens.inc({ task, model, kind: 'completion' }, completionTokens);
    },
    observe: (task, model, seconds) => metrics.aiRequestDuration.observe({ task, model }, seconds),
  });
  const pubsub = config.redisUrl ? createRedisPubSub(config.redisUrl, logger) : createMemoryPubSub();
  const outbox = createOutbox<EventPayloads>(
    database,
    createOutboxConsumers({ dropCachedUser: (userId) => cache.delete('user', userId) }),
    {
      logger,
      metrics,
      pollMs: config.jobs.outboxPollMs,
    },
  );
  const idempotency = createIdempotencyRepository(database);

  const usersRepository = createUsersRepository(database);
  const users = createUsersService({
    users: usersRepository,
    cache,
    transaction: (work) => database.transaction(work),
    publish: (type, aggregateId, payload) => outbox.publish(type, aggregateId, payload),
    accessTokens: createAccessTokens(secrets.jwt, config.auth.accessTokenTtlSeconds),
    loginLimiter: createFailureLimiter({
      keyPrefix: 'login-failures',
      maxFailures: config.auth.loginMaxFailures,
      blockSeconds: config.auth.loginLockoutSeconds,
      redis,
    }),
    refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
    adminEmails: config.auth.adminEmails,
  });

  const queue = createQueue<JobPayloads>(
    config,
    createJobDefinitions({
      pruneOutbox: () => outbox.prune(OUTBOX_KEEP_DAYS),
      pruneIdempotencyKeys: () => pruneIdempotencyKeys(idempotency),
      pruneSessions: () => users.pruneExpiredSessions(),
      log: (counts, message) => logger.info(counts, message),
    }),
    { logger, metrics },
  );

  // Modules register sweeps for work whose heartbeat stopped (DESIGN §7: older than a minute, non-terminal).
  const reconciler = createReconciler({ intervalMs: RECONCILE_EVERY_MS, logger });
  let background = false;
  return {
    config,
    logger,
    metrics,
    database,
    vector,
    redis,
    cache,
    storage,
    urlSigner: createUrlSigner(secrets.urlSigning),
    ai,
    pubsub,
    outbox,
    queue,
    reconciler,
    idempotency,
    idempotencySealKey: idempotencySealKey(secrets.urlSigning),
    rateLimits: {
      anonymous: createRequestLimiter({
        name: 'anonymous',
        perMinute: config.rateLimit.anonymousPerMinute,
        redis,
      }),
      user: createRequestLimiter({ name: 'user', perMinute: config.rateLimit.userPerMinute, redis }),
    },
    users,
    authenticate: createAuthenticate(users),
    eventLoopDelay,
    checks: healthChecks({ database, vector, redis, storage, queue }),
    /**
     * Starts the outbox relay, and with `workers` the job workers and the daily prune. Embedded `serve` and
     * fleet `worker` processes run workers; fleet `serve` processes relay only.
     */
    async startBackground(run: { workers: boolean }): Promise<void> {
      background = true;
      outbox.start();
      if (!run.workers) return;
      queue.work({ concurrency: config.jobs.workerConcurrency });
      reconciler.start();
      await queue.schedule('maintenance.prune', {}, PRUNE_EVERY_MS);
    },
    /** Stops background work first (running jobs finish), then closes connections. */
    async close(): Promise<void> {
      if (background) await Promise.all([outbox.stop(), reconciler.stop()]);
      await queue.close();
      eventLoopDelay.disable();
      await Promise.allSettled([pubsub.close(), cache.close(), storage.close()]);
      redis?.disconnect();
      await database.close();
    },
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;

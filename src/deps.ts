import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config } from './config.ts';
import { createOutboxConsumers, type EventPayloads } from './events.ts';
import { healthChecks } from './health-checks.ts';
import { createJobDefinitions, PRUNE_EVERY_MS, stageJob, type JobPayloads } from './jobs.ts';
import {
  createDocumentsRepository,
  createDocumentsService,
  createEmbeddingsRepository,
  createIngestPipeline,
  createPipelineRepository,
  createUploadsService,
  progressChannel,
  type PublishDocumentEvent,
} from './modules/documents/index.ts';
import {
  createLlmSummarizer,
  createPdfExtractor,
  createTextWorker,
  textWorkerSummarizer,
} from './modules/ingest/index.ts';
import {
  createAccessTokens,
  createAuthenticate,
  createUsersRepository,
  createUsersService,
} from './modules/users/index.ts';
import { createSearchRepository, createSearchService } from './modules/search/index.ts';
import { createAi } from './platform/ai/create-ai.ts';
import { createLocalEmbedder } from './platform/ai/local-embedder.ts';
import { createCache } from './platform/cache/create-cache.ts';
import type { Secrets } from './platform/data-dir/data-dir.ts';
import { createDatabase } from './platform/db/database.ts';
import { migrate as runMigrations, vectorStatus, type VectorStatus } from './platform/db/migrate.ts';
import { createEventStreams } from './platform/http/event-stream.ts';
import { idempotencySealKey, pruneIdempotencyKeys } from './platform/http/idempotency.ts';
import { createIdempotencyRepository } from './platform/http/idempotency.repository.ts';
import type { Logger } from './platform/observability/logger.ts';
import { createMetrics } from './platform/observability/metrics.ts';
import { createOutbox, type Outbox } from './platform/outbox/outbox.ts';
import { createMemoryPubSub, createRedisPubSub } from './platform/pubsub/pubsub.ts';
import { createQueue } from './platform/queue/create-queue.ts';
import type { Queue } from './platform/queue/queue.ts';
import { createReconciler } from './platform/queue/reconciler.ts';
import { createFailureLimiter } from './platform/rate-limit/failure-limiter.ts';
import { createRequestLimiter } from './platform/rate-limit/request-limiter.ts';
import { createRedis } from './platform/redis.ts';
import { createBlobStorage } from './platform/storage/create-blob-storage.ts';
import { createUrlSigner } from './platform/storage/url-signer.ts';

const OUTBOX_KEEP_DAYS = 7;

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
      : await vectorStatus(database, config.db.vectorSearch);
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
  // Without an AI endpoint, vectors come from local word vectors (converted once, in a worker thread).
  const localEmbedder =
    vector.enabled && !ai ? createLocalEmbedder({ cacheDir: config.ai.localModelCacheDir }) : undefined;
  const embedder = vector.enabled ? (ai?.embedder ?? localEmbedder) : undefined;
  const textWorker = createTextWorker();
  const extractiveSummarizer = textWorkerSummarizer(textWorker);
  const summarizer = ai
    ? createLlmSummarizer({
        llm: ai.llm,
        fallback: extractiveSummarizer,
        maxInputTokens: config.ai.maxInputTokens,
      })
    : extractiveSummarizer;
  const pdf = createPdfExtractor({
    maxPages: config.library.maxPages,
    timeoutMs: config.library.extractTimeoutMs,
  });

  const pubsub = config.redisUrl ? createRedisPubSub(config.redisUrl, logger) : createMemoryPubSub();
  const transaction = <T>(work: () => Promise<T>) => database.transaction(work);
  const publishDocumentEvent: PublishDocumentEvent = (type, aggregateId, payload) =>
    outbox.publish(type, aggregateId, payload as EventPayloads[typeof type]);
  const documentsRepository = createDocumentsRepository(database);
  const pipelineRepository = createPipelineRepository(database);
  const documents = createDocumentsService({
    documents: documentsRepository,
    storage,
    cache,
    transaction,
    publish: publishDocumentEvent,
    restart: (ownerId, id) => pipelineRepository.restart(ownerId, id),
    subscribe: (channel, listener) => pubsub.subscribe(channel, listener),
  });
  const uploads = createUploadsService({
    documents: documentsRepository,
    storage,
    cache,
    transaction,
    publish: publishDocumentEvent,
    limits: config.library,
  });
  const outbox: Outbox<EventPayloads> = createOutbox<EventPayloads>(
    database,
    createOutboxConsumers({
      dropCachedUser: (userId) => cache.delete('user', userId),
      enqueueStage: (request) => {
        const job = stageJob(request);
        return queue.enqueue(job.name, job.payload, { jobId: job.jobId });
      },
      deleteDocumentsOf: (ownerId) => documents.deleteAllOf(ownerId),
      deleteBlob: (blobKey) => documents.deleteBlob(blobKey),
    }),
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

  const ingest = createIngestPipeline({
    pipeline: pipelineRepository,
    embeddings: embedder ? { repository: createEmbeddingsRepository(database), embedder } : undefined,
    transaction,
    publish: publishDocumentEvent,
    storage,
    pdf,
    text: textWorker,
    summarizer,
    notify: (documentId, progress) =>
      void pubsub.publish(progressChannel(documentId), progress).catch(() => undefined),
    invalidate: async (ownerId, documentId) => {
      await cache.deleteByTags([`owner:${ownerId}`, `doc:${documentId}`]);
    },
    pagesPerJob: config.library.pagesPerJob,
    heartbeatMs: config.library.stalledAfterMs / 4,
    rowsPerStatement:
      database.engine === 'pglite' ? { chunks: 50, vectors: 16 } : { chunks: 500, vectors: 500 },
  });

  const queue: Queue<JobPayloads> = createQueue<JobPayloads>(
    config,
    createJobDefinitions({
      ingest,
      pruneOutbox: () => outbox.prune(OUTBOX_KEEP_DAYS),
      pruneIdempotencyKeys: () => pruneIdempotencyKeys(idempotency),
      pruneSessions: () => users.pruneExpiredSessions(),
      log: (counts, message) => logger.info(counts, message),
    }),
    { logger, metrics },
  );

  // Modules register sweeps for work whose heartbeat stopped (DESIGN §7: by default older than a minute,
  // non-terminal; INGEST_STALLED_AFTER_MS).
  const reconciler = createReconciler({ intervalMs: config.jobs.reconcileEveryMs, logger });
  // A stage still waiting in a backlog writes no heartbeat: the backlog's age is added before calling it lost.
  reconciler.register('stalled documents', async () => {
    const { oldestWaitingSeconds } = await queue.stats();
    return ingest.reviveStalled(config.library.stalledAfterMs + oldestWaitingSeconds * 1000);
  });
  const eventStreams = createEventStreams();
  const search = createSearchService({
    search: createSearchRepository(database),
    embedder,
    cache,
    tuning: { candidates: 50, ...config.search },
  });
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
    documents,
    uploads,
    ingest,
    search,
    embedder,
    localEmbedder,
    eventStreams,
    eventLoopDelay,
    checks: healthChecks({ database, vector, redis, storage, queue, embedder: localEmbedder }),
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
      await Promise.allSettled([pdf.close(), textWorker.close(), localEmbedder?.close()]);
      eventLoopDelay.disable();
      await Promise.allSettled([pubsub.close(), cache.close(), storage.close()]);
      redis?.disconnect();
      await database.close();
    },
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config } from './config.ts';
import { createOutboxConsumers, type EventPayloads } from './events.ts';
import { healthChecks } from './health-checks.ts';
import {
  ANALYZE_EVERY_MS,
  createJobDefinitions,
  DIGEST_EVERY_MS,
  PRUNE_EVERY_MS,
  stageJob,
  type JobPayloads,
} from './jobs.ts';
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
import {
  createAnswerComposer,
  createChatService,
  createConversationsRepository,
  createExtractiveEngine,
} from './modules/chat/index.ts';
import { createSearchRepository, createSearchService } from './modules/search/index.ts';
import {
  createEmbeddingsService,
  createReembed,
  createSpacesRepository,
  spaceChannel,
} from './modules/embeddings/index.ts';
import { createFanOut, createFanOutRepository, createFeedCache } from './modules/social/index.ts';
import { composeSocial } from './compose-social.ts';
import { createAiUsageRepository, createTokenBudget, pruneAiUsage } from './modules/ai-usage/index.ts';
import { createTextOpsService } from './modules/text-ops/index.ts';
import { userTopic } from './modules/realtime/index.ts';
import { composeRealtime } from './compose-realtime.ts';
import { courseJobId, createGeneration, deckJobId } from './modules/generation/index.ts';
import { createAi } from './platform/ai/create-ai.ts';
import { createLocalEmbedder, LOCAL_EMBEDDING_MODEL } from './platform/ai/local-embedder.ts';
import { createEmbedderRegistry } from './platform/ai/embedders.ts';
import { dropVectorIndex, ensureVectorIndex } from './platform/db/vector-index.ts';
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
  const aiUsage = createAiUsageRepository(database);
  const budget = createTokenBudget({ usage: aiUsage, dailyTokens: config.ai.dailyTokens });
  const ai = createAi(config, {
    onUsage: ({ task, model, promptTokens, completionTokens, userId }) => {
      metrics.aiTokens.inc({ task, model, kind: 'prompt' }, promptTokens);
      metrics.aiTokens.inc({ task, model, kind: 'completion' }, completionTokens);
      // Reported from inside the adapter: charging must never throw into it, nor hold up the answer.
      if (userId) {
        budget.charge(userId, promptTokens + completionTokens).catch((error: unknown) => {
          logger.warn({ err: error, userId, task }, 'AI tokens could not be charged to the daily budget');
        });
      }
    },
    observe: (task, model, seconds) => metrics.aiRequestDuration.observe({ task, model }, seconds),
  });
  // Without an AI endpoint, vectors come from local word vectors (converted once, in a worker thread).
  const localEmbedder =
    vector.enabled && !ai ? createLocalEmbedder({ cacheDir: config.ai.localModelCacheDir }) : undefined;
  const embedder = vector.enabled ? (ai?.embedder ?? localEmbedder) : undefined;
  // Each embedding space is served by its own model's embedder, whatever is configured now.
  const embedders = embedder
    ? createEmbedderRegistry({
        configured: embedder,
        local: {
          model: LOCAL_EMBEDDING_MODEL,
          create: () => createLocalEmbedder({ cacheDir: config.ai.localModelCacheDir }),
        },
        remote: ai,
      })
    : undefined;
  const textWorker = createTextWorker();
  const extractiveSummarizer = textWorkerSummarizer(textWorker);
  const summarizer = ai
    ? createLlmSummarizer({
        llm: ai.llm,
        fallback: extractiveSummarizer,
        maxInputTokens: config.ai.maxInputTokens,
        tokenBudget: budget,
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
  // One job id per space: the outbox, a retry and the reconcile sweep may all ask for the same re-embed.
  const enqueueReembed = (spaceId: number) =>
    queue.enqueue('embeddings.reembed', { spaceId }, { jobId: `embeddings.reembed-${spaceId}` });
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
  const generation = createGeneration<EventPayloads>({
    database,
    cache,
    publish: (type, aggregateId, payload) =>
      outbox.publish(type, aggregateId, payload as EventPayloads[typeof type]),
    llm: ai?.llm,
    budget,
    notify: (channel, message) => void pubsub.publish(channel, message).catch(() => undefined),
    enqueueGeneration: (job) =>
      queue.enqueue('course.generate', job, { jobId: courseJobId(job.courseId, job.generation) }),
    countEvent: (type) => metrics.courseEvents.inc({ type }),
    pushToUser: (userId, message) =>
      void pubsub
        .publish(userTopic(userId), message)
        .catch((error: unknown) => logger.warn({ err: error, userId }, 'a notification push was lost')),
    publishPresentation: (type, aggregateId, payload) => outbox.publish(type, aggregateId, payload),
    enqueueDeckGeneration: (job) =>
      queue.enqueue('presentation.generate', job, { jobId: deckJobId(job.presentationId, job.generation) }),
    // Decks and courses share AI_CACHE_TTL_SECONDS (1 h by default).
    settings: {
      maxInputTokens: config.ai.maxInputTokens,
      courseCacheTtlSeconds: config.ai.cacheTtlSeconds,
      deckCacheTtlSeconds: config.ai.cacheTtlSeconds,
    },
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
      enqueueReembed,
      enqueueFanOut: (postId) => queue.enqueue('social.fan-out', { postId }, { jobId: `fan-out-${postId}` }),
      deletePhotoBlobs: (by) => social.photos.deleteBlobsOf(by),
      enqueueRefeed: async (eventId, pairs) => {
        for (const pair of pairs) {
          const jobId = `refeed-${eventId}-${pair.ownerId}-${pair.viewerId}`;
          await queue.enqueue('social.refeed', pair, { jobId });
        }
      },
      courseConsumers: { ...generation.consumers, ...generation.presentationConsumers },
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

  const vectorsRepository = createEmbeddingsRepository(database);
  const spacesRepository = createSpacesRepository(database);
  const embeddingSpaces = createEmbeddingsService({
    spaces: spacesRepository,
    vectors: vectorsRepository,
    registry: embedders,
    configured: embedder,
    transaction,
    publish: (type, aggregateId, payload) => outbox.publish(type, aggregateId, payload),
  });
  const reembed = embedders
    ? createReembed({
        spaces: spacesRepository,
        vectors: vectorsRepository,
        registry: embedders,
        transaction,
        ensureIndex: (spaceId, dims) => ensureVectorIndex(database, spaceId, dims),
        dropIndex: (spaceId) => dropVectorIndex(database, spaceId),
        notify: (spaceId) => void pubsub.publish(spaceChannel(spaceId), {}).catch(() => undefined),
        enqueueReembed,
        enqueueDrop: (spaceId, delayMs) =>
          queue.enqueue(
            'embeddings.drop-space',
            { spaceId },
            { jobId: `embeddings.drop-${spaceId}`, delayMs },
          ),
        settings: {
          delayMs: config.embeddings.reembedDelayMs,
          batch: config.embeddings.reembedBatch,
          retireAfterMs: config.embeddings.retireAfterMs,
          rowsPerStatement: database.engine === 'pglite' ? 16 : 500,
        },
      })
    : undefined;
  const ingest = createIngestPipeline({
    pipeline: pipelineRepository,
    embeddings: embedders
      ? { repository: vectorsRepository, targets: () => embeddingSpaces.ingestTargets() }
      : undefined,
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

  const feedCache = createFeedCache(cache);
  const fanOut = createFanOut({
    repository: createFanOutRepository(database),
    feedCache,
    transaction,
    markActive: (userId) => users.markActive(userId),
    hint: (userId, message) => void pubsub.publish(userTopic(userId), message).catch(() => undefined),
    chunkSize: database.engine === 'pglite' ? 500 : 2000,
    backfillPosts: config.social.feedBackfill,
    inactiveAfterDays: config.social.feedInactiveAfterDays,
  });
  const queue: Queue<JobPayloads> = createQueue<JobPayloads>(
    config,
    createJobDefinitions({
      ingest,
      fanOut,
      deliverDigests: () => social.digest.deliverDaily(),
      pruneOutbox: () => outbox.prune(OUTBOX_KEEP_DAYS),
      pruneIdempotencyKeys: () => pruneIdempotencyKeys(idempotency),
      pruneSessions: () => users.pruneExpiredSessions(),
      pruneAiUsage: () => pruneAiUsage(aiUsage),
      pruneAiCache: () => generation.prune(),
      prunePhotoSlots: () => social.photos.pruneExpiredSlots(),
      analyze: () => database.analyze(),
      courseGenerator: generation.generator,
      deckGenerator: generation.deckGenerator,
      reembed,
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
  // Building spaces whose job was lost get it back; retired spaces past their grace period are dropped.
  if (reembed) reconciler.register('embedding spaces', () => reembed.reconcile());
  // A course job may legitimately run through three model calls, each up to AI_TIMEOUT_MS.
  reconciler.register('stalled courses', async () => {
    const { oldestWaitingSeconds } = await queue.stats();
    const runsFor = Math.max(config.library.stalledAfterMs, 4 * config.ai.timeoutMs);
    return generation.generator.reviveStalled(runsFor + oldestWaitingSeconds * 1000);
  });
  // A deck job runs up to 30 slide calls, 3 at a time: 10 rounds, each up to AI_TIMEOUT_MS.
  reconciler.register('stalled decks', async () => {
    const { oldestWaitingSeconds } = await queue.stats();
    const runsFor = Math.max(config.library.stalledAfterMs, 11 * config.ai.timeoutMs);
    return generation.deckGenerator.reviveStalled(runsFor + oldestWaitingSeconds * 1000);
  });
  const eventStreams = createEventStreams({ heartbeatMs: config.http.sseHeartbeatMs });
  const realtime = composeRealtime({ config, pubsub, metrics, logger, documents, generation });
  const search = createSearchService({
    search: createSearchRepository(database),
    embedderFor: embedders ? (space) => embeddingSpaces.embedderFor(space) : undefined,
    cache,
    tuning: { candidates: 50, ...config.search },
  });
  const chat = createChatService({
    conversations: createConversationsRepository(database),
    search,
    compose: createAnswerComposer({
      llm: ai?.llm,
      // Sentence vectors for the extractive engine only when they are local (and so free and fast).
      extractive: createExtractiveEngine({
        embed: localEmbedder
          ? async (texts, signal) => (await localEmbedder.embed(texts, { signal, task: 'chat' })).vectors
          : undefined,
      }),
      maxInputTokens: config.ai.maxInputTokens,
      observeFirstToken: (engine, seconds) =>
        metrics.aiTimeToFirstToken.observe({ task: 'chat', engine }, seconds),
    }),
    budget: ai ? budget : undefined,
    maxInputTokens: config.ai.maxInputTokens,
    retrieve: config.chat.sources,
    observeRagOverhead: (seconds) => metrics.ragOverhead.observe(seconds),
  });
  const textOps = createTextOpsService({ llm: ai?.llm, extractive: extractiveSummarizer, budget, cache });
  const social = composeSocial({
    config,
    database,
    storage,
    cache,
    metrics,
    feedCache,
    fanOut,
    llm: ai?.llm,
    extractive: extractiveSummarizer,
    budget,
    publish: (type, aggregateId, payload) =>
      outbox.publish(type, aggregateId, payload as EventPayloads[typeof type]),
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
    social,
    budget,
    textOps,
    generation,
    chat,
    embedder,
    localEmbedder,
    embeddingSpaces,
    reembed,
    eventStreams,
    realtime,
    eventLoopDelay,
    checks: healthChecks({ database, vector, redis, storage, queue, embedder: localEmbedder }),
    /**
     * Starts the outbox relay, and with `workers` the job workers and the daily prune. Embedded `serve` and
     * fleet `worker` processes run workers; fleet `serve` processes relay only.
     */
    async startBackground(run: { workers: boolean }): Promise<void> {
      background = true;
      outbox.start();
      void embeddingSpaces.configuredDrift().then(
        (drift) => drift && logger.warn(drift),
        () => undefined,
      );
      if (!run.workers) return;
      queue.work({ concurrency: config.jobs.workerConcurrency });
      reconciler.start();
      await queue.schedule('maintenance.prune', {}, PRUNE_EVERY_MS);
      await queue.schedule('maintenance.analyze', {}, ANALYZE_EVERY_MS);
      await queue.schedule('social.digest', {}, DIGEST_EVERY_MS);
    },
    /** Stops background work first (running jobs finish), then closes connections. */
    async close(): Promise<void> {
      if (background) await Promise.all([outbox.stop(), reconciler.stop()]);
      reembed?.stop();
      await queue.close();
      await Promise.allSettled([pdf.close(), textWorker.close(), localEmbedder?.close(), embedders?.close()]);
      eventLoopDelay.disable();
      await Promise.allSettled([pubsub.close(), cache.close(), storage.close()]);
      redis?.disconnect();
      await database.close();
    },
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;

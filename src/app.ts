import compress from '@fastify/compress';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import underPressure from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { constants as zlib } from 'node:zlib';
import { uuidv7 } from 'uuidv7';
import type { Deps } from './deps.ts';
import { adminRoutes } from './modules/admin/index.ts';
import {
  documentProgressRoutes,
  documentsRoutes,
  storiesRoutes,
  uploadRoutes,
} from './modules/documents/index.ts';
import { searchRoutes } from './modules/search/index.ts';
import { embeddingsRoutes } from './modules/embeddings/index.ts';
import { socialRoutes } from './modules/social/index.ts';
import { askRoutes, conversationsRoutes } from './modules/chat/index.ts';
import { aiUsageRoutes } from './modules/ai-usage/index.ts';
import { textOpsRoutes } from './modules/text-ops/index.ts';
import { realtimeRoutes } from './modules/realtime/index.ts';
import {
  coursesRoutes,
  notificationsRoutes,
  presentationsRoutes,
  referenceDataRoutes,
} from './modules/generation/index.ts';
import { authRoutes, meRoutes } from './modules/users/index.ts';
import { AppError } from './platform/errors.ts';
import { clientErrorHandler, frameworkErrors } from './platform/http/framework-errors.ts';
import { healthRoutes } from './platform/http/health.routes.ts';
import { registerIdempotency } from './platform/http/idempotency.ts';
import { registerRateLimits } from './platform/http/rate-limit.ts';
import { filesRoutes } from './platform/storage/files.routes.ts';
import { trackRouteMethods } from './platform/http/method-router.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerProblemHandlers, sendProblem } from './platform/http/problem.ts';
import { registerRequestLifecycle, requestIdFrom } from './platform/http/request-lifecycle.ts';
import { VERSION } from './version.ts';

export const API_PREFIX = '/api/v1';

/** Builds the HTTP application on the given dependencies. Never listens: main.ts and tests decide that. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config } = deps;
  let shuttingDown = false;
  const logger: FastifyBaseLogger = deps.logger;

  const app = Fastify({
    loggerInstance: logger,
    // One line per request is written by request-lifecycle; request ids come from the logger's mixin (ALS).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id'], uuidv7),
    frameworkErrors,
    clientErrorHandler,
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });

  const allowedMethods = trackRouteMethods(app);
  registerRequestLifecycle(app, { metrics: deps.metrics, slowRequestMs: config.http.slowRequestMs });
  registerProblemHandlers(app, allowedMethods);

  // While closing, refuse new work and tell keep-alive clients to go: Fastify's close() otherwise waits
  // out keepAliveTimeout for every connection that becomes idle after it started (measured 71 s).
  app.addHook('onRequest', async (request, reply) => {
    if (!shuttingDown) return;
    if (!request.url.startsWith('/health')) {
      return sendProblem(
        request,
        reply,
        new AppError('HTTP_SHUTTING_DOWN', 503, 'The process is shutting down.', {
          headers: { 'retry-after': '1' },
        }),
      );
    }
  });
  // onSend, not only onRequest: a request already running when the close began must end its connection too.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });
  // An upgrade request answered over HTTP (401, 404, a route without WebSocket): its socket left the HTTP server's
  // care when the upgrade began, so nothing else would ever close it.
  app.addHook('onResponse', async (request) => {
    const { connection = '', upgrade } = request.headers;
    if (upgrade && /\bupgrade\b/i.test(connection)) request.raw.socket.destroySoon();
  });
  app.addHook('preClose', async () => {
    shuttingDown = true;
    // Open event streams would hold close() open: each gets `event: shutdown` and ends.
    await deps.eventStreams.closeAll();
    // WebSockets close with 1001 (going away): clients reconnect to another process.
    await deps.realtime.closeAll();
  });

  await app.register(helmet, {
    global: true,
    // An API answers JSON: nothing it sends should run scripts, load resources or be framed.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  });
  await app.register(cors, { origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false });
  await app.register(compress, {
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Brotli's default quality (11) costs more CPU than the bytes it saves on dynamic JSON.
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  if (config.http.overloadProtection) {
    await app.register(underPressure, {
      maxEventLoopDelay: config.http.maxEventLoopDelayMs,
      retryAfter: 5,
      pressureHandler: (request, reply) => {
        // Liveness must not fail under load (an orchestrator would restart a busy process): let /health through.
        if (request.url === '/health') return;
        void sendProblem(
          request,
          reply,
          new AppError('HTTP_OVERLOADED', 503, 'The server is overloaded; retry shortly.', {
            headers: { 'retry-after': '5' },
          }),
        );
      },
    });
  }
  await registerOpenApi(app, VERSION);

  await app.register(
    healthRoutes({ checks: deps.checks, metrics: deps.metrics, isShuttingDown: () => shuttingDown }),
  );
  // S3 signed URLs point at the bucket; local storage serves its own.
  if (deps.storage.kind === 'local') await app.register(filesRoutes(deps.storage, deps.urlSigner));
  if (config.rateLimit.enabled) {
    registerRateLimits(app, {
      ...deps.rateLimits,
      userOf: (request) => request.actor?.id,
      metrics: deps.metrics,
    });
  }
  registerIdempotency(app, {
    repository: deps.idempotency,
    scopeOf: (request) => request.actor?.id,
    sealKey: deps.idempotencySealKey,
    // No request runs longer than its timeout; twice that and its process is gone.
    staleAfterMs: 2 * config.http.requestTimeoutMs,
  });
  await app.register(
    async (api) => {
      await api.register(authRoutes(deps.users));
      await api.register(meRoutes(deps.users, deps.authenticate));
      await api.register(
        uploadRoutes({
          uploads: deps.uploads,
          authenticate: deps.authenticate,
          maxUploadBytes: config.library.maxUploadBytes,
        }),
      );
      await api.register(documentsRoutes({ documents: deps.documents, authenticate: deps.authenticate }));
      await api.register(
        documentProgressRoutes({
          documents: deps.documents,
          authenticate: deps.authenticate,
          eventStreams: deps.eventStreams,
        }),
      );
      await api.register(storiesRoutes(deps.documents, deps.uploads, deps.authenticate));
      await api.register(searchRoutes(deps.search, deps.authenticate));
      await api.register(
        embeddingsRoutes({
          embeddings: deps.embeddingSpaces,
          users: deps.users,
          authenticate: deps.authenticate,
          eventStreams: deps.eventStreams,
          pubsub: deps.pubsub,
        }),
      );
      await api.register(socialRoutes(deps.social, deps.authenticate, deps.metrics));
      await api.register(conversationsRoutes(deps.chat, deps.authenticate));
      await api.register(
        askRoutes({ chat: deps.chat, authenticate: deps.authenticate, eventStreams: deps.eventStreams }),
      );
      await api.register(aiUsageRoutes(deps.budget, deps.authenticate));
      await api.register(textOpsRoutes(deps.textOps, deps.authenticate));
      await api.register(
        realtimeRoutes({
          realtime: deps.realtime,
          authenticateToken: (token) => deps.users.authenticate(token),
        }),
      );
      await api.register(coursesRoutes(deps.generation.courses, deps.authenticate));
      await api.register(presentationsRoutes(deps.generation.presentations, deps.authenticate));
      await api.register(referenceDataRoutes());
      await api.register(notificationsRoutes(deps.generation.notifications, deps.authenticate));
      await api.register(
        adminRoutes({
          users: deps.users,
          authenticate: deps.authenticate,
          engine: deps.database.engine,
          poolStats: () => deps.database.poolStats(),
          cacheStats: () => deps.cache.stats(),
          queueStats: () => deps.queue.stats(),
          enqueuePrune: async () => {
            // One manual run per minute: repeating the request within it joins the same job.
            const jobId = `maintenance.prune-manual-${Math.floor(Date.now() / 60_000)}`;
            await deps.queue.enqueue('maintenance.prune', {}, { jobId });
            return jobId;
          },
          eventLoopDelay: deps.eventLoopDelay,
        }),
      );
    },
    { prefix: API_PREFIX },
  );
  return app;
}

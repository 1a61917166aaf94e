import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { PoolStats } from '../../platform/observability/metrics.ts';
import type { QueueStats } from '../../platform/queue/queue.ts';
import type { Authenticate, UsersService } from '../users/index.ts';

const Performance = Type.Object({
  uptimeSeconds: Type.Number(),
  database: Type.Object({
    engine: Type.String(),
    total: Type.Integer(),
    idle: Type.Integer(),
    waiting: Type.Integer(),
  }),
  memory: Type.Object({
    rssBytes: Type.Integer(),
    heapUsedBytes: Type.Integer(),
    externalBytes: Type.Integer(),
  }),
  eventLoopDelayMs: Type.Object({ p50: Type.Number(), p99: Type.Number(), max: Type.Number() }),
  cache: Type.Record(
    Type.String(),
    Type.Object({ hits: Type.Integer(), misses: Type.Integer(), hitRate: Type.Number() }),
  ),
  queue: Type.Union([
    Type.Object({
      waiting: Type.Integer(),
      active: Type.Integer(),
      delayed: Type.Integer(),
      failed: Type.Integer(),
      oldestWaitingSeconds: Type.Number(),
    }),
    Type.Null({ description: 'the queue did not answer (Redis down)' }),
  ]),
});

export interface AdminDeps {
  users: Pick<UsersService, 'requireAdmin'>;
  authenticate: Authenticate;
  engine: string;
  poolStats: () => PoolStats;
  cacheStats: () => Record<string, { hits: number; misses: number; hitRate: number }>;
  queueStats: () => Promise<QueueStats>;
  /** Enqueues `maintenance.prune` now; resolves to its job id. */
  enqueuePrune: () => Promise<string>;
  eventLoopDelay: { percentile(p: number): number; max: number };
}

export function adminRoutes(deps: AdminDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    app.addHook('preHandler', async (request) => deps.users.requireAdmin(request.actor));

    app.get(
      '/admin/performance',
      {
        schema: {
          tags: ['admin'],
          summary: 'Pool, memory and event-loop figures of this process (admin only).',
          security: [{ bearer: [] }],
          response: { 200: Performance },
        },
      },
      async () => {
        const memory = process.memoryUsage();
        const ms = (ns: number) => Math.round(ns / 1e4) / 100;
        return {
          uptimeSeconds: Math.round(process.uptime()),
          database: { engine: deps.engine, ...deps.poolStats() },
          memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external },
          eventLoopDelayMs: {
            p50: ms(deps.eventLoopDelay.percentile(50)),
            p99: ms(deps.eventLoopDelay.percentile(99)),
            max: ms(deps.eventLoopDelay.max),
          },
          cache: deps.cacheStats(),
          queue: await deps.queueStats().catch(() => null),
        };
      },
    );

    app.post(
      '/admin/maintenance/prune',
      {
        schema: {
          tags: ['admin'],
          summary: 'Run the daily prune (outbox, idempotency keys, expired sessions) now, in the background.',
          security: [{ bearer: [] }],
          response: { 202: Type.Object({ jobId: Type.String() }) },
        },
      },
      async (_request, reply) => reply.code(202).send({ jobId: await deps.enqueuePrune() }),
    );
  };
}

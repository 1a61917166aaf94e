import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import { sendProblem } from './problem.ts';

export type ComponentStatus = 'up' | 'down' | 'disabled' | 'warming';

/** One dependency /health/ready reports on. `required` components make the process not ready when down. */
export interface HealthCheck {
  name: string;
  required: boolean;
  check(): Promise<{ status: ComponentStatus; detail?: string }>;
}

const CHECK_TIMEOUT_MS = 2000;

const Component = Type.Object({
  name: Type.String(),
  status: Type.Union(['up', 'down', 'disabled', 'warming'].map((s) => Type.Literal(s))),
  required: Type.Boolean(),
  latencyMs: Type.Number(),
  detail: Type.Optional(Type.String()),
});

export function healthRoutes(deps: {
  checks: HealthCheck[];
  metrics: Metrics;
  isShuttingDown: () => boolean;
}) {
  return async (app: FastifyInstance) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process is up and its event loop answers.',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        schema: {
          tags: ['operations'],
          summary: 'Readiness: every required component answers. 503 problem+json lists what is not.',
          response: {
            200: Type.Object({ status: Type.Literal('ready'), components: Type.Array(Component) }),
          },
        },
      },
      async (request, reply) => {
        if (deps.isShuttingDown()) {
          return sendProblem(
            request,
            reply,
            new AppError('HTTP_SHUTTING_DOWN', 503, 'The process is shutting down.', {
              headers: { 'retry-after': '1' },
            }),
          );
        }
        const components = await Promise.all(deps.checks.map((c) => runCheck(c, request.log)));
        const failing = components.filter((c) => c.required && c.status !== 'up');
        if (failing.length > 0) {
          const names = failing
            .map((c) => `${c.name} (${c.status}${c.detail ? `: ${c.detail}` : ''})`)
            .join(', ');
          return sendProblem(
            request,
            reply,
            new AppError('HEALTH_NOT_READY', 503, `Not ready: ${names}.`, {
              headers: { 'retry-after': '5' },
              extensions: { components },
            }),
          );
        }
        return { status: 'ready' as const, components };
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format).',
          response: { 200: { content: { 'text/plain': { schema: Type.String() } } } },
        },
      },
      async (_request, reply) => {
        reply.type(deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
      },
    );
  };
}

async function runCheck(health: HealthCheck, log: FastifyBaseLogger) {
  const started = performance.now();
  let result: { status: ComponentStatus; detail?: string };
  try {
    result = await withTimeout(health.check(), CHECK_TIMEOUT_MS);
  } catch (error) {
    // The body says which component failed, never how (addresses, users, paths): the log has that.
    log.warn({ err: error, component: health.name }, 'readiness check failed');
    const code = (error as { code?: unknown }).code;
    result = { status: 'down', detail: typeof code === 'string' ? code : 'unavailable' };
  }
  return {
    name: health.name,
    required: health.required,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    ...result,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

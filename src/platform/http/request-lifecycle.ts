import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';
import { newRequestContext, requestContext, type RequestContext } from '../observability/request-context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    context: RequestContext;
    startedAt: number;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Accept a caller's X-Request-Id when it is sane (so a trace crosses services), else make one. */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : generate();
}

/**
 * Per-request context, timing headers, one log line per request and the HTTP metric.
 * Hooks run inside the request's AsyncLocalStorage scope, so SQL and log lines made anywhere know the request.
 */
export function registerRequestLifecycle(
  app: FastifyInstance,
  deps: { metrics: Metrics; slowRequestMs: number },
): void {
  app.decorateRequest('context', null as unknown as RequestContext);
  app.decorateRequest('startedAt', 0);

  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = performance.now();
    request.context = newRequestContext(request.id);
    reply.header('x-request-id', request.id);
    requestContext.run(request.context, done);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-process-time', ((performance.now() - request.startedAt) / 1000).toFixed(4));
    reply.header('server-timing', serverTiming(request));
    // API answers are personal (or carry tokens): no shared or browser cache keeps them unless a route says so.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });

  app.addHook('onResponse', async (request, reply) => {
    const durationMs = performance.now() - request.startedAt;
    const route = routeOf(request);
    deps.metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      durationMs / 1000,
    );
    const line = {
      requestId: request.id,
      userId: request.context.userId,
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      dbStatements: request.context.db.statements,
    };
    if (durationMs > deps.slowRequestMs) request.log.warn(line, 'slow request');
    else request.log.info(line, 'request');
  });
}

/** The request's stages so far, `db` with its statement count, and `total` (RFC: W3C Server Timing). */
export function serverTiming(request: FastifyRequest): string {
  const total = performance.now() - request.startedAt;
  const { statements, ms } = request.context.db;
  const stages = Object.entries(request.context.timings).map(
    ([name, dur]) => `${name};dur=${dur.toFixed(1)}, `,
  );
  return `${stages.join('')}db;dur=${ms.toFixed(1)};desc="${statements} statements", total;dur=${total.toFixed(1)}`;
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

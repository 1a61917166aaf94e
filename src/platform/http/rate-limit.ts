import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, defineErrors } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RateDecision, RequestLimiter } from '../rate-limit/request-limiter.ts';

export const RATE_LIMIT_ERRORS = defineErrors({
  RATE_LIMITED: {
    status: 429,
    when: 'Too many requests from this address (anonymous) or account; see `Retry-After`.',
  },
});

/**
 * Per-address limits for anonymous API calls (checked before the body is read) and per-user limits for
 * authenticated ones (after authentication). Headers follow draft-ietf-httpapi-ratelimit-headers:
 * `RateLimit-Policy: "anonymous";q=300;w=60` and `RateLimit: "anonymous";r=12;t=41`.
 */
export function registerRateLimits(
  app: FastifyInstance,
  deps: {
    anonymous: RequestLimiter;
    user: RequestLimiter;
    userOf: (request: FastifyRequest) => string | undefined;
    metrics: Metrics;
  },
): void {
  // The matched route, not the raw URL: the router decodes `/%61pi/` to `/api/`.
  const limited = (request: FastifyRequest) => (request.routeOptions.url ?? request.url).startsWith('/api/');

  async function apply(reply: FastifyReply, limiter: RequestLimiter, key: string, scope: string) {
    const decision: RateDecision = await limiter.consume(key);
    reply.header('ratelimit-policy', `"${limiter.name}";q=${limiter.perMinute};w=60`);
    reply.header('ratelimit', `"${limiter.name}";r=${decision.remaining};t=${decision.resetSeconds}`);
    if (!decision.allowed) {
      deps.metrics.rateLimited.inc({ scope });
      throw new AppError('RATE_LIMITED', 429, `Too many requests; retry in ${decision.resetSeconds} s.`, {
        headers: { 'retry-after': String(decision.resetSeconds) },
      });
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    if (limited(request) && !request.headers.authorization)
      await apply(reply, deps.anonymous, request.ip, 'ip');
  });
  app.addHook('preHandler', async (request, reply) => {
    if (!limited(request)) return;
    const userId = deps.userOf(request);
    if (userId) await apply(reply, deps.user, userId, 'user');
    // An Authorization header the route did not authenticate: still an anonymous request.
    else if (request.headers.authorization) await apply(reply, deps.anonymous, request.ip, 'ip');
  });
}

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Config } from './config.ts';
import {
  createUsersRepository,
  createUsersService,
  createAccessTokens,
  createAuthenticate,
} from './modules/users/index.ts';
import type { Secrets } from './platform/data-dir/data-dir.ts';
import { createDatabase } from './platform/db/database.ts';
import { migrate as runMigrations, type VectorStatus } from './platform/db/migrate.ts';
import type { HealthCheck } from './platform/http/health.routes.ts';
import type { Logger } from './platform/observability/logger.ts';
import { createMetrics } from './platform/observability/metrics.ts';
import { createFailureLimiter } from './platform/rate-limit/failure-limiter.ts';
import { createRedis } from './platform/redis.ts';

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
  const closeAll = async () => {
    eventLoopDelay.disable();
    redis?.disconnect();
    await database.close();
  };

  let vector: VectorStatus;
  try {
    vector = options.migrate
      ? await runMigrations(database, config.db.vectorSearch)
      : { enabled: false, reason: 'not checked by this process' };
  } catch (error) {
    await closeAll();
    throw error;
  }

  const usersRepository = createUsersRepository(database);
  const users = createUsersService({
    users: usersRepository,
    transaction: (work) => database.transaction(work),
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

  const checks: HealthCheck[] = [
    {
      name: 'database',
      required: true,
      check: async () => {
        await database.ping();
        return { status: 'up', detail: database.engine };
      },
    },
    {
      name: 'vector',
      required: false,
      check: async () =>
        vector.enabled
          ? { status: 'up', detail: `pgvector ${vector.version}` }
          : { status: 'disabled', detail: vector.reason },
    },
  ];
  if (redis) {
    checks.push({
      name: 'redis',
      required: true,
      check: async () => {
        await redis.ping();
        return { status: 'up' };
      },
    });
  }

  return {
    config,
    logger,
    metrics,
    database,
    vector,
    redis,
    users,
    authenticate: createAuthenticate(users),
    eventLoopDelay,
    checks,
    close: closeAll,
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;

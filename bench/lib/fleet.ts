// Fleet mode: Lectern on a throwaway PostgreSQL 15 and Redis 7, started the way the test harness starts them.
// The harness PostgreSQL has no pgvector, so fleet processes run with VECTOR_SEARCH=off (text search only).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPostgres, startRedis } from '../../test/harness/servers.ts';
import type { PostgresServer, RedisServer } from '../../test/harness/servers.ts';

export type Mode = 'embedded' | 'fleet';

export interface FleetBackends {
  postgres: PostgresServer;
  redis: RedisServer;
  /** What every serve, worker and seed process of this run gets: one set of secrets, so tokens hold across. */
  env(database: string): Record<string, string>;
  databaseUrl(database: string): string;
  /** A new database, empty or a copy of `template` (a file copy in PostgreSQL, fast even for `medium`). */
  createDatabase(name: string, template?: string): Promise<void>;
  /** Empties Redis, so a server never sees cache entries or queued jobs of the one before it. */
  flushRedis(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFleetBackends(): Promise<FleetBackends> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const secrets = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    URL_SIGNING_SECRET: randomBytes(32).toString('base64url'),
  };
  const databaseUrl = (name: string) => {
    const url = new URL(postgres.url);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return {
    postgres,
    redis,
    databaseUrl,
    env: (database) => ({
      DATABASE_URL: databaseUrl(database),
      REDIS_URL: redis.url,
      VECTOR_SEARCH: 'off',
      ...secrets,
    }),
    async createDatabase(name, template) {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        // names are the runner's own (`[a-z0-9_]`), never user input
        await client.query(`create database ${name}${template ? ` template ${template}` : ''}`);
      } finally {
        await client.end();
      }
    },
    async flushRedis() {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined); // a failed command rejects below
      try {
        await client.connect();
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await Promise.allSettled([postgres.stop(), redis.stop()]);
    },
  };
}

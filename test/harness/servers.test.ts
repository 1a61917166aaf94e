import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort, startPostgres, startRedis } from './servers.ts';
import type { PostgresServer, RedisServer } from './servers.ts';

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

describe('throwaway servers', () => {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
  }, 60_000);

  it('freePort returns a bindable loopback port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });

  it('PostgreSQL 15 answers queries', async () => {
    const client = new pg.Client({ connectionString: postgres!.url });
    await client.connect();
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      const { rows } = await client.query<{ server_version_num: string }>('show server_version_num');
      expect(rows[0]?.server_version_num).toMatch(/^15/);
    } finally {
      await client.end();
    }
    expect(postgres!.url).toBe(`postgres://postgres@127.0.0.1:${postgres!.port}/postgres`);
  });

  it('Redis 7 stores and returns values', async () => {
    const client = new Redis(redis!.url);
    try {
      expect(await client.set('lectern:harness', 'ok')).toBe('OK');
      expect(await client.get('lectern:harness')).toBe('ok');
    } finally {
      client.disconnect();
    }
    expect(redis!.pid).toBeGreaterThan(0);
  });

  it('stop() shuts both down, closes the ports and is idempotent', async () => {
    const pgServer = postgres!;
    const redisServer = redis!;
    await Promise.all([pgServer.stop(), redisServer.stop()]);
    await Promise.all([pgServer.stop(), redisServer.stop()]);
    expect(await connectError(pgServer.port)).toBe('ECONNREFUSED');
    expect(await connectError(redisServer.port)).toBe('ECONNREFUSED');
    expect(existsSync(pgServer.dataDir)).toBe(false);
    expect(() => process.kill(redisServer.pid, 0)).toThrow();
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { CacheNamespace } from '../../src/platform/cache/cache-namespaces.ts';
import type { CacheResult } from '../../src/platform/cache/cache.ts';
import { createCache, type CacheTuning } from '../../src/platform/cache/create-cache.ts';
import { AppError } from '../../src/platform/errors.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { testEnv } from '../harness/env.ts';
import { freePort, startRedis, type RedisServer } from '../harness/servers.ts';

// One suite, three adapters: embedded (memory), fleet (memory + Redis + bus) and CACHE=off (pass-through,
// which must call the source every time). Each test gets its own key prefix, which also scopes bus messages.
const adapters = [
  { name: 'embedded', caches: true, create: (tuning?: CacheTuning) => open({}, tuning) },
  {
    name: 'fleet',
    caches: true,
    create: (tuning?: CacheTuning) => openConnected({ REDIS_URL: testEnv().redisUrl() }, tuning),
  },
  { name: 'CACHE=off', caches: false, create: (tuning?: CacheTuning) => open({ CACHE: 'off' }, tuning) },
] as const;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

function open(env: Record<string, string>, tuning: CacheTuning = {}, prefix = `t${randomUUID()}`) {
  const recorded: [CacheNamespace, CacheResult][] = [];
  const cache = createCache(
    loadConfig(env),
    { logger: createLogger('silent'), recordRequest: (ns, result) => recorded.push([ns, result]) },
    { prefix, ...tuning },
  );
  cleanup.push(() => cache.close());
  return Object.assign(cache, { recorded, prefix });
}

/**
 * A fleet cache whose Redis connection is up: it fails fast (no offline queue) until connected, so a test
 * that means to exercise Redis waits until its writes land there.
 */
async function openConnected(env: Record<string, string>, tuning: CacheTuning = {}, prefix?: string) {
  const cache = open(env, tuning, prefix);
  const redis = new Redis(env.REDIS_URL ?? '');
  try {
    await until(async () => {
      await cache.set('templates', 'probe', true);
      return (await redis.exists(`${cache.prefix}:templates:probe`)) === 1;
    }, 3000);
    await cache.delete('templates', 'probe');
  } finally {
    redis.disconnect();
  }
  return cache;
}

/** A source that counts its calls and answers `value` (or throws it, if it is an Error) after `delayMs`. */
function source<T>(value: T, delayMs = 0) {
  const s = {
    calls: 0,
    value,
    read: async (): Promise<T> => {
      s.calls++;
      if (delayMs) await sleep(delayMs);
      if (s.value instanceof Error) throw s.value;
      return s.value;
    },
  };
  return s;
}

/** Milliseconds until `check` holds; fails after `deadlineMs`. */
async function until(check: () => Promise<boolean>, deadlineMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > deadlineMs) throw new Error(`not within ${deadlineMs} ms`);
    await sleep(5);
  }
  return Math.round(performance.now() - started);
}

async function elapsedMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return Math.round(performance.now() - started);
}

describe.each(adapters)('cache contract: $name', ({ caches, create }) => {
  it('calls the factory once, then answers from the cache', async () => {
    const cache = await create();
    const doc = source({ title: 'Moby Dick' });
    expect(await cache.getOrSet('documentMeta', 'd1', doc.read)).toEqual({ title: 'Moby Dick' });
    expect(await cache.getOrSet('documentMeta', 'd1', doc.read)).toEqual({ title: 'Moby Dick' });
    expect(doc.calls).toBe(caches ? 1 : 2);
  });

  it('calls the factory once for 50 concurrent lookups of a cold key (stampede)', async () => {
    const cache = await create();
    const page = source(['p1', 'p2'], 20);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => cache.getOrSet('libraryPage', 'owner-1', page.read)),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, () => ['p1', 'p2']));
    expect(page.calls).toBe(caches ? 1 : 50);
  });

  it('calls the factory again after the TTL; a failing source gets the stale value (grace)', async () => {
    const ttlMs = 250;
    const cache = await create({ ttlMs: { documentMeta: ttlMs, user: ttlMs } });
    const refreshed = source('v1');
    const failing = source<string | Error>('v1');
    const gone = source<string | Error>('v1');
    const guarded = source<string | Error>('u1');
    await cache.getOrSet('documentMeta', 'refreshed', refreshed.read);
    await cache.getOrSet('documentMeta', 'failing', failing.read);
    await cache.getOrSet('documentMeta', 'gone', gone.read);
    await cache.getOrSet('user', 'guarded', guarded.read);
    await sleep(ttlMs + 50);

    refreshed.value = 'v2';
    failing.value = new Error('database unavailable');
    gone.value = new AppError('DOCUMENT_NOT_FOUND', 404, 'No such document.');
    guarded.value = new Error('database unavailable');
    expect(await cache.getOrSet('documentMeta', 'refreshed', refreshed.read)).toBe('v2');
    expect(refreshed.calls).toBe(2);
    const stale = cache.getOrSet('documentMeta', 'failing', failing.read);
    if (caches) expect(await stale).toBe('v1');
    else await expect(stale).rejects.toBe(failing.value);
    // A domain answer is never masked by grace, nor is anything in a namespace that guards access.
    await expect(cache.getOrSet('documentMeta', 'gone', gone.read)).rejects.toBe(gone.value);
    await expect(cache.getOrSet('user', 'guarded', guarded.read)).rejects.toBe(guarded.value);
    expect(cache.recorded.filter(([, result]) => result === 'stale')).toHaveLength(caches ? 1 : 0);
  });

  it('deleteByTags removes every tagged entry, across namespaces, and only those', async () => {
    const cache = await create();
    await cache.getOrSet('documentMeta', 'd1', async () => 'd1 meta', { tags: ['doc:d1'] });
    await cache.set('libraryPage', 'o1', ['d1', 'd2'], { tags: ['owner:o1', 'doc:d1'] });
    await cache.set('documentMeta', 'd2', 'd2 meta', { tags: ['doc:d2', 'owner:o1'] });
    await cache.set('templates', 'all', ['plain']);

    await cache.deleteByTags(['doc:d1']);
    expect(await cache.get('documentMeta', 'd1')).toBeUndefined();
    expect(await cache.get('libraryPage', 'o1')).toBeUndefined();
    expect(await cache.get('documentMeta', 'd2')).toBe(caches ? 'd2 meta' : undefined);
    expect(await cache.get('templates', 'all')).toEqual(caches ? ['plain'] : undefined);
    const meta = source('d1 meta, renamed');
    expect(await cache.getOrSet('documentMeta', 'd1', meta.read, { tags: ['doc:d1'] })).toBe(meta.value);
    expect(meta.calls).toBe(1);
  });

  it('delete removes one entry', async () => {
    const cache = await create();
    await cache.set('tagCounts', 'o1', { fiction: 3 });
    await cache.set('tagCounts', 'o2', { poetry: 1 });
    await cache.delete('tagCounts', 'o1');
    expect(await cache.get('tagCounts', 'o1')).toBeUndefined();
    expect(await cache.get('tagCounts', 'o2')).toEqual(caches ? { poetry: 1 } : undefined);
  });

  it("hands back values' JSON form, rejects undefined and rethrows the factory's own error", async () => {
    const cache = await create();
    const dated = source({ at: new Date(0), tags: ['a'] });
    const json = { at: '1970-01-01T00:00:00.000Z', tags: ['a'] };
    expect(await cache.getOrSet('aiOutput', 'u1:outline', dated.read)).toEqual(json);
    expect(await cache.getOrSet('aiOutput', 'u1:outline', dated.read)).toEqual(json);
    await expect(cache.getOrSet('aiOutput', 'nothing', async () => undefined)).rejects.toThrow(/undefined/);
    const failure = new Error('embedder unreachable');
    await expect(cache.getOrSet('embedding', 'q', () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('refuses tags in namespaces that guard access (they are invalidated by key)', async () => {
    const cache = await create();
    await expect(cache.getOrSet('user', 'u1', async () => 'u', { tags: ['user:u1'] })).rejects.toThrow(
      TypeError,
    );
    await expect(cache.set('feedFirstPage', 'u1', [], { tags: ['user:u1'] })).rejects.toThrow(TypeError);
  });

  it('counts hits and misses per namespace in stats() and reports each lookup', async () => {
    const cache = await create();
    await cache.getOrSet('documentMeta', 'd1', async () => 'meta');
    await cache.getOrSet('documentMeta', 'd1', async () => 'meta');
    await cache.getOrSet('documentMeta', 'd1', async () => 'meta');
    expect(await cache.get('user', 'nobody')).toBeUndefined();

    const stats = cache.stats();
    expect(stats.documentMeta).toEqual(
      caches ? { hits: 2, misses: 1, hitRate: 2 / 3 } : { hits: 0, misses: 3, hitRate: 0 },
    );
    expect(stats.user).toEqual({ hits: 0, misses: 1, hitRate: 0 });
    expect(stats.templates).toEqual({ hits: 0, misses: 0, hitRate: 0 });
    const later = caches ? 'hit' : 'miss';
    expect(cache.recorded).toEqual([
      ['documentMeta', 'miss'],
      ['documentMeta', later],
      ['documentMeta', later],
      ['user', 'miss'],
    ]);
  });
});

describe('cache contract: fleet processes sharing Redis', () => {
  const fleet = (tuning: CacheTuning = {}, prefix?: string) =>
    openConnected({ REDIS_URL: testEnv().redisUrl() }, tuning, prefix);

  it("B reads A's value from Redis without calling its own factory", async () => {
    const a = await fleet();
    const b = await fleet({}, a.prefix);
    const onA = source('from A');
    const onB = source('from B');
    expect(await a.getOrSet('documentMeta', 'd1', onA.read)).toBe('from A');
    expect(await b.getOrSet('documentMeta', 'd1', onB.read)).toBe('from A');
    expect([onA.calls, onB.calls]).toEqual([1, 0]);
  });

  it("a delete or deleteByTags on A reaches B's memory through the bus within 1 s", async () => {
    const a = await fleet();
    const b = await fleet({}, a.prefix);
    const cachedOnB = async (key: string) => (await b.get('documentMeta', key)) !== undefined;
    // B subscribes when first used; the first round trip waits for that.
    await a.set('documentMeta', 'warm-up', 'x');
    expect(await cachedOnB('warm-up')).toBe(true);
    await a.delete('documentMeta', 'warm-up');
    await until(async () => !(await cachedOnB('warm-up')), 3000);

    await a.set('documentMeta', 'd1', 'meta 1');
    await a.set('documentMeta', 'd2', 'meta 2', { tags: ['doc:d2'] });
    expect(await cachedOnB('d1')).toBe(true); // now in B's memory
    expect(await cachedOnB('d2')).toBe(true);
    await a.delete('documentMeta', 'd1');
    const deleteMs = await until(async () => !(await cachedOnB('d1')), 1000);
    await a.deleteByTags(['doc:d2']);
    const tagMs = await until(async () => !(await cachedOnB('d2')), 1000);
    console.info(`cache bus propagation: delete ${deleteMs} ms, deleteByTags ${tagMs} ms`);
  });

  it('keeps entries of access-guarding namespaces in memory only briefly; Redis keeps them', async () => {
    const cache = await fleet({ guardedL1TtlMs: 300 });
    const user = source({ id: 'u1' });
    const doc = source('meta');
    await cache.getOrSet('user', 'u1', user.read);
    await cache.getOrSet('documentMeta', 'd1', doc.read);
    await dropRedisCopies(cache.prefix); // as if lost; no bus message tells the memory tier
    await cache.getOrSet('user', 'u1', user.read);
    await sleep(350);
    await cache.getOrSet('user', 'u1', user.read);
    await cache.getOrSet('documentMeta', 'd1', doc.read);
    expect([user.calls, doc.calls]).toEqual([2, 1]);
  });

  async function dropRedisCopies(prefix: string) {
    const redis = new Redis(testEnv().redisUrl());
    try {
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }
});

describe('cache contract: fleet with Redis down', () => {
  const slowest = async (cache: ReturnType<typeof open>) => {
    const doc = source('meta');
    const rounds = [
      () => cache.getOrSet('documentMeta', 'd1', doc.read, { tags: ['doc:d1'] }),
      () => cache.getOrSet('documentMeta', 'd1', doc.read, { tags: ['doc:d1'] }),
      () => cache.deleteByTags(['doc:d1']),
      () => cache.getOrSet('documentMeta', 'd1', doc.read, { tags: ['doc:d1'] }),
      () => cache.set('templates', 'all', ['plain']),
      () => cache.get('templates', 'all'),
      () => cache.delete('templates', 'all'),
    ];
    let max = 0;
    for (const round of rounds) max = Math.max(max, await elapsedMs(round));
    expect(doc.calls).toBe(2); // the source, memory, then the source again after the invalidation
    return max;
  };

  it('answers from the source and memory within 100 ms when Redis was never reachable', async () => {
    const cache = open({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const ms = await slowest(cache);
    console.info(`cache with Redis unreachable: slowest operation ${ms} ms`);
    expect(ms).toBeLessThan(100);
  });

  describe('with a Redis of its own', () => {
    let server: RedisServer;
    afterEach(() => server.stop());

    it('keeps answering within 100 ms after Redis dies', async () => {
      server = await startRedis();
      const cache = await openConnected({ REDIS_URL: server.url });
      await cache.getOrSet('tagCounts', 'o1', async () => ({ fiction: 1 }));
      await server.stop();
      expect(await cache.getOrSet('tagCounts', 'o1', () => Promise.reject(new Error('unused')))).toEqual({
        fiction: 1,
      });
      const ms = await slowest(cache);
      console.info(`cache after Redis died: slowest operation ${ms} ms`);
      expect(ms).toBeLessThan(100);
    });

    it('waits out a frozen Redis once (300 ms), then fails fast until it answers again', async () => {
      server = await startRedis();
      const cache = await openConnected({ REDIS_URL: server.url });
      await cache.getOrSet('tagCounts', 'warm', async () => 1);
      process.kill(server.pid, 'SIGSTOP');
      let first: number;
      let ms: number;
      try {
        first = await elapsedMs(() => cache.getOrSet('tagCounts', 'o1', async () => 1));
        ms = await slowest(cache);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      console.info(`cache with Redis frozen: first operation ${first} ms, then slowest ${ms} ms`);
      expect(first).toBeLessThan(500);
      expect(ms).toBeLessThan(100);
    });
  });
});

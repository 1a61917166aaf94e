import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics } from '../../src/platform/observability/metrics.ts';
import { newRequestContext, requestContext } from '../../src/platform/observability/request-context.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The database port's contract: the same assertions on PGlite (in a worker thread) and PostgreSQL 15.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    DB_BUSY_TIMEOUT_MS: '300',
    DB_POOL_MIN: '0',
    DB_POOL_MAX: '1',
    SLOW_QUERY_MS: '20',
  });
});
afterAll(() => t.close());

const insertUser = (email: string) =>
  t.deps.database
    .executor()
    .insertInto('users')
    .values({ id: uuidv7(), email, display_name: 'x', password_hash: null })
    .execute();
const countUsers = async (email: string) =>
  (
    await t.deps.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('email', '=', email)
      .executeTakeFirstOrThrow()
  ).n;

describe('value types', () => {
  it('returns the same JavaScript types on both engines', async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select count(*) as n, sum(x) as total, max(x)::int8 as big, now() as at, '{"a":[1]}'::jsonb as doc,
             gen_random_uuid() as id, true as flag, 1.5::numeric as dec
      from (values (1), (2)) as v(x)`.execute(t.deps.database.db);
    const row = rows[0]!;
    expect(row.n).toBe(2);
    expect(row.big).toBe(2);
    expect(row.total).toBe(3); // sum of int4 is int8: a number on both
    // numeric stays a string on both: no silent precision loss
    expect(row.dec).toBe('1.5');
    expect(row.at).toBeInstanceOf(Date);
    expect(row.doc).toEqual({ a: [1] });
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.flag).toBe(true);
  });

  it('reports a unique violation with SQLSTATE 23505 and the constraint', async () => {
    const email = `dupe-${Date.now()}@example.com`;
    await insertUser(email);
    await expect(insertUser(email)).rejects.toMatchObject({ code: '23505' });
  });
});

describe('transactions', () => {
  it('repositories inside transaction() use it: a throw rolls back their writes', async () => {
    const email = `rollback-${Date.now()}@example.com`;
    await expect(
      t.deps.database.transaction(async () => {
        await insertUser(email);
        expect(
          await t.deps.database
            .executor()
            .selectFrom('users')
            .select('id')
            .where('email', '=', email)
            .execute(),
        ).toHaveLength(1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await countUsers(email)).toBe(0);
  });

  it('a nested transaction() joins the outer one', async () => {
    const a = `outer-${Date.now()}@example.com`;
    const b = `inner-${Date.now()}@example.com`;
    await t.deps.database.transaction(async () => {
      await insertUser(a);
      await t.deps.database.transaction(() => insertUser(b));
    });
    expect((await countUsers(a)) + (await countUsers(b))).toBe(2);
  });

  it('a root query that cannot get the connection fails with DB_BUSY instead of hanging, and is logged', async () => {
    const started = Date.now();
    await expect(
      t.deps.database.transaction(async () => {
        // Wrong on purpose: the root handle, not the transaction's executor, needs a second connection.
        await t.deps.database.db.selectFrom('users').select('id').limit(1).execute();
      }),
    ).rejects.toMatchObject({ code: 'DB_BUSY', status: 503 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(t.logs.some((l) => l.level === 40 && /busy|exhausted/.test(String(l.msg)))).toBe(true);
    // The connection is usable again afterwards.
    expect(await countUsers('nobody@example.com')).toBe(0);
  });
});

describe('statement accounting', () => {
  it('counts every statement of a unit of work, BEGIN and COMMIT included', async () => {
    const ctx = newRequestContext('test');
    await requestContext.run(ctx, () =>
      t.deps.database.transaction(async () => {
        await insertUser(`count-${Date.now()}@example.com`);
        await t.deps.database.executor().selectFrom('users').select('id').limit(1).execute();
      }),
    );
    expect(ctx.db.statements).toBe(4);
    expect(ctx.db.ms).toBeGreaterThan(0);
  });

  it('warns about slow statements with the statement and without its parameters', async () => {
    const secret = `secret-${Date.now()}`;
    await sql`select pg_sleep(0.05), ${secret}::text as s`.execute(t.deps.database.db);
    const warning = t.logs.find((l) => l.msg === 'slow query' && String(l.statement).includes('pg_sleep'));
    expect(warning).toMatchObject({ level: 40, ms: expect.any(Number) });
    expect(JSON.stringify(warning)).not.toContain(secret);
  });
});

describe('planner statistics', () => {
  it('analyze() collects them, which nothing else does on PGlite (no autovacuum)', async () => {
    for (const n of [1, 2, 3]) await insertUser(`stats-${n}-${uuidv7()}@example.com`);
    const estimate = async () => {
      const { rows } = await sql<{ estimate: number; actual: number }>`
        select c.reltuples::int as estimate, (select count(*) from users)::int as actual
        from pg_class c where c.relname = 'users'`.execute(t.deps.database.db);
      return rows[0]!;
    };
    expect((await estimate()).estimate, 'never analyzed').toBe(-1);
    await t.deps.database.analyze();
    const { estimate: analyzed, actual } = await estimate();
    expect(actual).toBeGreaterThanOrEqual(3);
    expect(analyzed).toBe(actual);
  });
});

describe('migrations', () => {
  it('are idempotent: a second run applies nothing and keeps the data', async () => {
    const email = `migrate-${Date.now()}@example.com`;
    await insertUser(email);
    await migrate(t.deps.database, t.deps.config.db.vectorSearch);
    expect(await countUsers(email)).toBe(1);
  });

  it('apply the vector DDL only where pgvector exists, and refuse VECTOR_SEARCH=required without it', async () => {
    if (t.engine === 'pglite') {
      expect(t.deps.vector).toEqual({ enabled: true, version: expect.stringMatching(/^0\.8\./) });
      const { rows } = await sql<{
        v: string;
      }>`select extversion as v from pg_extension where extname = 'vector'`.execute(t.deps.database.db);
      expect(rows).toHaveLength(1);
    } else {
      expect(t.deps.vector).toEqual({ enabled: false, reason: 'VECTOR_SEARCH=off' });
      const required = createDatabase(
        { ...t.deps.config },
        { logger: createLogger('silent'), metrics: createMetrics() },
      );
      try {
        await expect(migrate(required, 'required')).rejects.toThrow(
          /pgvector is not installed.*VECTOR_SEARCH=off/s,
        );
      } finally {
        await required.close();
      }
    }
  });
});

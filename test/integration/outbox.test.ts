import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/platform/observability/metrics.ts';
import {
  createOutbox,
  type OutboxConsumer,
  type OutboxConsumers,
  type OutboxEvent,
} from '../../src/platform/outbox/outbox.ts';
import { createOutboxRepository } from '../../src/platform/outbox/outbox.repository.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The transactional outbox on both engines: outboxes are built directly on the test app's database, each with
// test consumers; several instances on one database stand for several processes (or one that crashed and came
// back). The app's own relay is never started here, so nothing else claims these deliveries.
type Events = Record<string, { n: number }>;
type Event = OutboxEvent<string, { n: number }>;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());
// Every outbox relays every due delivery in the database: leave none behind for the next test's relays.
afterEach(async () => {
  await t.deps.database.db.deleteFrom('outbox_events').execute();
});

let seq = 0;
const eventType = (name: string) => `test.${name}.${++seq}`;

function newOutbox(consumers: OutboxConsumers<Events>, options: { pollMs?: number; metrics?: Metrics } = {}) {
  return createOutbox<Events>(t.deps.database, consumers, {
    logger: createLogger('silent'),
    metrics: options.metrics ?? createMetrics(),
    pollMs: options.pollMs ?? 60_000,
  });
}

/**
 * A consumer whose side effect is idempotent by event id (a set of ids), counting every call it gets; it fails
 * its first `failures` calls after recording the effect, as a consumer that crashed before acknowledging would.
 */
function recorder(events: string[], options: { failures?: number; maxAttempts?: number } = {}) {
  const calls: Event[] = [];
  const effects = new Set<string>();
  let failures = options.failures ?? 0;
  const consumer: OutboxConsumer<Events> = {
    events,
    maxAttempts: options.maxAttempts,
    async handle(event) {
      calls.push(event);
      effects.add(event.id);
      if (failures > 0) {
        failures--;
        throw new Error(`consumer failed on ${event.id}`);
      }
    },
  };
  return { consumer, calls, effects, failNext: (n: number) => (failures = n) };
}

type Outbox = ReturnType<typeof newOutbox>;

/** Publishes in a committed transaction; the new event's id. */
async function commit(outbox: Outbox, type: string, n = 1): Promise<string> {
  const aggregateId = uuidv7();
  await t.deps.database.transaction(() => outbox.publish(type, aggregateId, { n }));
  const row = await t.deps.database.db
    .selectFrom('outbox_events')
    .select('id')
    .where('aggregate_id', '=', aggregateId)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function deliveries(eventId: string) {
  const { rows } = await sql<{
    consumer: string;
    attempts: number;
    delivered: boolean;
    last_error: string | null;
    later: boolean;
    parked: boolean;
  }>`
    select consumer, attempts, delivered_at is not null as delivered, last_error,
           next_attempt_at > now() as later, next_attempt_at = 'infinity'::timestamptz as parked
    from outbox_deliveries where event_id = ${eventId} order by consumer`.execute(t.deps.database.db);
  return rows;
}

/** Skips the backoff (or an unexpired lease) of an event's pending deliveries. */
async function makeDue(eventId: string): Promise<void> {
  await sql`
    update outbox_deliveries set next_attempt_at = now() - interval '1 second'
    where event_id = ${eventId} and delivered_at is null`.execute(t.deps.database.db);
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

describe('publish and relay', () => {
  it('delivers a committed event once, with its id, type, aggregate id, payload and creation time', async () => {
    const type = eventType('created');
    const { consumer, calls } = recorder([type]);
    const outbox = newOutbox({ 'test-recorder': consumer });
    const aggregateId = uuidv7();
    await t.deps.database.transaction(() => outbox.publish(type, aggregateId, { n: 42 }));
    const stored = await t.deps.database.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('aggregate_id', '=', aggregateId)
      .executeTakeFirstOrThrow();

    expect(await outbox.relayOnce()).toBe(1);
    expect(await outbox.relayOnce()).toBe(0);
    expect(calls).toEqual([
      { id: stored.id, type, aggregateId, payload: { n: 42 }, createdAt: stored.created_at },
    ]);
    expect(calls[0]!.createdAt).toBeInstanceOf(Date);
    expect(await deliveries(stored.id)).toMatchObject([
      { consumer: 'test-recorder', attempts: 1, delivered: true, last_error: null },
    ]);
  });

  it('delivers nothing for a rolled-back transaction', async () => {
    const type = eventType('rolled-back');
    const { consumer, calls } = recorder([type]);
    const outbox = newOutbox({ 'test-recorder': consumer });
    const aggregateId = uuidv7();
    await expect(
      t.deps.database.transaction(async () => {
        await outbox.publish(type, aggregateId, { n: 1 });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    expect(await outbox.relayOnce()).toBe(0);
    expect(calls).toEqual([]);
    const left = await t.deps.database.db
      .selectFrom('outbox_events')
      .select('id')
      .where('aggregate_id', '=', aggregateId)
      .execute();
    expect(left).toEqual([]);
  });
});

describe('crashes', () => {
  it('an event committed by a process that died before relaying is delivered once by the next process', async () => {
    const type = eventType('orphaned');
    const { consumer, calls, effects } = recorder([type]);
    const consumers = { 'test-recorder': consumer };
    // Process A commits and dies before its relay runs.
    const eventId = await commit(newOutbox(consumers), type);
    // Process B starts and relays; later a third process C relays too.
    const b = newOutbox(consumers);
    const c = newOutbox(consumers);
    expect(await b.relayOnce()).toBe(1);
    expect(await c.relayOnce()).toBe(0);
    expect(await b.relayOnce()).toBe(0);

    expect(calls.map((e) => e.id)).toEqual([eventId]);
    expect([...effects]).toEqual([eventId]);
    expect(await deliveries(eventId)).toMatchObject([{ attempts: 1, delivered: true }]);
  });

  it('a delivery claimed by a relay that died is left alone until its lease expires, then delivered once', async () => {
    const type = eventType('leased');
    const { consumer, calls } = recorder([type]);
    const consumers = { 'test-recorder': consumer };
    const eventId = await commit(newOutbox(consumers), type);
    // A relay claims the delivery, then its process dies before handing it to the consumer.
    const claimed = await createOutboxRepository(t.deps.database).claimDue(50, 60);
    expect(claimed).toMatchObject([{ event_id: eventId, consumer: 'test-recorder', attempts: 1 }]);

    const survivor = newOutbox(consumers);
    expect(await survivor.relayOnce()).toBe(0);
    expect(calls).toEqual([]);

    await makeDue(eventId); // the 60 s lease ran out
    expect(await survivor.relayOnce()).toBe(1);
    expect(calls.map((e) => e.id)).toEqual([eventId]);
    expect(await deliveries(eventId)).toMatchObject([{ attempts: 2, delivered: true, last_error: null }]);
  });

  it('a consumer that fails after its side effect is retried after a backoff; the effect happens once', async () => {
    const type = eventType('flaky');
    const { consumer, calls, effects } = recorder([type], { failures: 1 });
    const consumers = { 'test-flaky': consumer };
    const metrics = createMetrics();
    const first = newOutbox(consumers, { metrics });
    const eventId = await commit(first, type);

    expect(await first.relayOnce()).toBe(1);
    expect(await deliveries(eventId)).toEqual([
      {
        consumer: 'test-flaky',
        attempts: 1,
        delivered: false,
        last_error: `consumer failed on ${eventId}`,
        later: true,
        parked: false,
      },
    ]);
    expect(
      await counter(metrics, 'outbox_deliveries_total', { consumer: 'test-flaky', result: 'retried' }),
    ).toBe(1);
    // Not due yet: the backoff holds it back, in this process and in any other.
    expect(await first.relayOnce()).toBe(0);
    expect(await newOutbox(consumers).relayOnce()).toBe(0);

    await makeDue(eventId);
    const restarted = newOutbox(consumers, { metrics });
    expect(await restarted.relayOnce()).toBe(1);
    expect(await restarted.relayOnce()).toBe(0);
    expect(calls.map((e) => e.id)).toEqual([eventId, eventId]);
    expect([...effects]).toEqual([eventId]);
    expect(await deliveries(eventId)).toMatchObject([{ attempts: 2, delivered: true, last_error: null }]);
    expect(
      await counter(metrics, 'outbox_deliveries_total', { consumer: 'test-flaky', result: 'delivered' }),
    ).toBe(1);
  });
});

describe('retries', () => {
  it('retries each consumer on its own: a failing consumer does not re-run the one that succeeded', async () => {
    const type = eventType('fan-out');
    const steady = recorder([type]);
    const flaky = recorder([type], { failures: 1 });
    const outbox = newOutbox({ 'test-steady': steady.consumer, 'test-flaky': flaky.consumer });
    const eventId = await commit(outbox, type);

    expect(await outbox.relayOnce()).toBe(2);
    expect(await deliveries(eventId)).toMatchObject([
      { consumer: 'test-flaky', attempts: 1, delivered: false, later: true },
      { consumer: 'test-steady', attempts: 1, delivered: true },
    ]);

    await makeDue(eventId);
    expect(await outbox.relayOnce()).toBe(1);
    expect(steady.calls).toHaveLength(1);
    expect(flaky.calls).toHaveLength(2);
    expect(await deliveries(eventId)).toMatchObject([
      { consumer: 'test-flaky', attempts: 2, delivered: true },
      { consumer: 'test-steady', attempts: 1, delivered: true },
    ]);
  });

  it('parks a delivery after maxAttempts with its last error, and never delivers it again', async () => {
    const type = eventType('doomed');
    const { consumer, calls } = recorder([type], { failures: 99, maxAttempts: 2 });
    const metrics = createMetrics();
    const outbox = newOutbox({ 'test-doomed': consumer }, { metrics });
    const eventId = await commit(outbox, type);

    expect(await outbox.relayOnce()).toBe(1);
    expect(await deliveries(eventId)).toMatchObject([{ attempts: 1, later: true, parked: false }]);
    await makeDue(eventId);
    expect(await outbox.relayOnce()).toBe(1);
    expect(await deliveries(eventId)).toEqual([
      {
        consumer: 'test-doomed',
        attempts: 2,
        delivered: false,
        last_error: `consumer failed on ${eventId}`,
        later: true,
        parked: true,
      },
    ]);
    expect(
      await counter(metrics, 'outbox_deliveries_total', { consumer: 'test-doomed', result: 'abandoned' }),
    ).toBe(1);

    expect(await outbox.relayOnce()).toBe(0);
    expect(await newOutbox({ 'test-doomed': consumer }).relayOnce()).toBe(0);
    expect(calls).toHaveLength(2);
  });

  it('two relays running at once deliver each delivery exactly once', async () => {
    const type = eventType('contended');
    const { consumer, calls } = recorder([type]);
    const consumers = { 'test-recorder': consumer };
    const publisher = newOutbox(consumers);
    // More than one batch (50), so the relays also contend for what is left after the first claims.
    await t.deps.database.transaction(async () => {
      for (let n = 0; n < 60; n++) await publisher.publish(type, uuidv7(), { n });
    });
    const b = newOutbox(consumers);
    const c = newOutbox(consumers);

    const [fromB, fromC] = await Promise.all([b.relayOnce(), c.relayOnce()]);
    expect(fromB + fromC).toBeLessThanOrEqual(60);
    const [againB, againC] = await Promise.all([b.relayOnce(), c.relayOnce()]);
    expect(fromB + fromC + againB + againC).toBe(60);
    expect(await Promise.all([b.relayOnce(), c.relayOnce()])).toEqual([0, 0]);

    expect(calls).toHaveLength(60);
    expect(new Set(calls.map((e) => e.id)).size).toBe(60);
    expect(calls.map((e) => e.payload.n).sort((x, y) => x - y)).toEqual([...Array(60).keys()]);
    const { rows } = await sql<{ attempts: number; n: number }>`
      select attempts, count(*)::int as n from outbox_deliveries where delivered_at is not null
      group by attempts`.execute(t.deps.database.db);
    expect(rows).toEqual([{ attempts: 1, n: 60 }]);
  });
});

describe('relay loop', () => {
  /** Starts the loop and waits until its first pass is over (it then sleeps for pollMs). */
  async function startIdle(outbox: Outbox, metrics: Metrics): Promise<void> {
    metrics.outboxLag.set(-1);
    outbox.start();
    await vi.waitFor(async () => {
      expect((await metrics.outboxLag.get()).values[0]?.value).toBeGreaterThanOrEqual(0);
    });
  }

  it('delivers a publish at once thanks to the after-commit nudge, despite a 60 s poll; stop() ends the loop', async () => {
    const type = eventType('nudged');
    const { consumer, calls } = recorder([type]);
    const metrics = createMetrics();
    const outbox = newOutbox({ 'test-recorder': consumer }, { pollMs: 60_000, metrics });
    await startIdle(outbox, metrics);
    try {
      const started = performance.now();
      const eventId = await commit(outbox, type);
      await vi.waitFor(() => expect(calls.map((e) => e.id)).toEqual([eventId]), { timeout: 5000 });
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await outbox.stop();
    }
    // Stopped: nothing relays a new event but an explicit pass.
    const later = await commit(outbox, type);
    expect(await deliveries(later)).toMatchObject([{ attempts: 0, delivered: false }]);
    expect(await outbox.relayOnce()).toBe(1);
    expect(calls.map((e) => e.id)).toContain(later);
  });

  it('does not lose the nudge of an event published while a relay pass is running', async () => {
    // A consumer publishing a follow-up event is the simplest way to commit during a pass; any request
    // committing while the relay works does the same.
    const first = eventType('first');
    const second = eventType('second');
    const calls: Event[] = [];
    const metrics = createMetrics();
    const outbox: Outbox = newOutbox(
      {
        'test-chain': {
          events: [first, second],
          async handle(event) {
            calls.push(event);
            if (event.type === first) {
              await t.deps.database.transaction(() => outbox.publish(second, event.aggregateId, { n: 2 }));
            }
          },
        },
      },
      { pollMs: 60_000, metrics },
    );
    await startIdle(outbox, metrics);
    try {
      await commit(outbox, first);
      await vi.waitFor(() => expect(calls.map((e) => e.type)).toEqual([first, second]), { timeout: 3000 });
    } finally {
      await outbox.stop();
    }
  });

  it('reports the age of the oldest undelivered event as outbox_lag_seconds, and 0 once delivered', async () => {
    const type = eventType('lagging');
    const { consumer, failNext } = recorder([type], { failures: 99 });
    const outbox = newOutbox({ 'test-lagging': consumer }, { pollMs: 60_000, metrics: t.deps.metrics });
    const eventId = await commit(outbox, type);
    await sql`update outbox_events set created_at = now() - interval '90 seconds' where id = ${eventId}`.execute(
      t.deps.database.db,
    );
    const lag = async () => {
      const text = await t.deps.metrics.registry.metrics();
      return Number(/^outbox_lag_seconds (\S+)$/m.exec(text)?.[1]);
    };
    t.deps.metrics.outboxLag.set(-1);
    outbox.start();
    try {
      await vi.waitFor(async () => expect(await lag()).toBeGreaterThanOrEqual(90));
      expect(await lag()).toBeLessThan(150);
      expect(await deliveries(eventId)).toMatchObject([{ attempts: 1, delivered: false }]);

      // The consumer recovers; the next publish wakes the loop, which delivers both.
      failNext(0);
      await makeDue(eventId);
      const next = await commit(outbox, type);
      await vi.waitFor(async () => expect(await lag()).toBe(0), { timeout: 5000 });
      expect(await deliveries(eventId)).toMatchObject([{ delivered: true }]);
      expect(await deliveries(next)).toMatchObject([{ delivered: true }]);
    } finally {
      await outbox.stop();
    }
  });
});

describe('prune', () => {
  it('removes events older than the retention whose deliveries all succeeded, and nothing else', async () => {
    const type = eventType('prunable');
    const steady = recorder([type]);
    const flaky = recorder([type], { failures: 99, maxAttempts: 1 });
    const outbox = newOutbox({ 'test-steady': steady.consumer });
    const withFlaky = newOutbox({ 'test-steady': steady.consumer, 'test-flaky': flaky.consumer });
    const oldDelivered = await commit(outbox, type);
    const oldParked = await commit(withFlaky, type); // one consumer delivered, the other parked
    const oldPending = await commit(outbox, type); // never relayed
    const recentDelivered = await commit(outbox, type);
    const oldWithoutConsumers = await commit(outbox, eventType('unheard'));
    const olds = [oldDelivered, oldParked, oldPending, oldWithoutConsumers];

    // Deliver what can be delivered, except `oldPending`, which stays scheduled for later.
    await sql`update outbox_deliveries set next_attempt_at = now() + interval '1 hour'
              where event_id = ${oldPending}`.execute(t.deps.database.db);
    expect(await withFlaky.relayOnce()).toBe(4);
    expect(await deliveries(oldParked)).toMatchObject([
      { consumer: 'test-flaky', parked: true },
      { consumer: 'test-steady', delivered: true },
    ]);
    await sql`update outbox_events set created_at = now() - interval '8 days'
              where id in (${sql.join(olds)})`.execute(t.deps.database.db);

    expect(await outbox.prune(7)).toBe(2);
    const left = await t.deps.database.db.selectFrom('outbox_events').select('id').orderBy('id').execute();
    expect(left.map((e) => e.id)).toEqual([oldParked, oldPending, recentDelivered].sort());
    const orphans = await t.deps.database.db
      .selectFrom('outbox_deliveries')
      .select('event_id')
      .where('event_id', 'in', [oldDelivered, oldWithoutConsumers])
      .execute();
    expect(orphans).toEqual([]);
    expect(await outbox.prune(7)).toBe(0);
  });
});

describe('publishers', () => {
  it('DELETE /api/v1/me writes user.deleted in the transaction that deletes the user', async () => {
    const email = `outbox-${Date.now()}@example.com`;
    const registered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'correct horse battery' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const { user, tokens } = registered.json<{ user: { id: string }; tokens: { accessToken: string } }>();
    const deleteMe = () =>
      t.app.inject({
        method: 'DELETE',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${tokens.accessToken}` },
      });
    const userRows = () =>
      t.deps.database.db.selectFrom('users').select('id').where('id', '=', user.id).execute();
    const events = () =>
      t.deps.database.db
        .selectFrom('outbox_events')
        .select(['type', 'payload'])
        .where('aggregate_id', '=', user.id)
        .execute();

    // When the event cannot be written, the user is not deleted either.
    await sql`alter table outbox_events add constraint test_refuse_user_deleted
              check (type <> 'user.deleted') not valid`.execute(t.deps.database.db);
    try {
      expect((await deleteMe()).statusCode).toBe(500);
    } finally {
      await sql`alter table outbox_events drop constraint test_refuse_user_deleted`.execute(
        t.deps.database.db,
      );
    }
    expect(await userRows()).toEqual([{ id: user.id }]);
    expect(await events()).toEqual([]);

    expect((await deleteMe()).statusCode).toBe(204);
    expect(await userRows()).toEqual([]);
    expect(await events()).toEqual([{ type: 'user.deleted', payload: { userId: user.id, email } }]);
  });
});

import { uuidv7 } from 'uuidv7';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createOutboxRepository, type ClaimedDelivery } from './outbox.repository.ts';

export type EventPayloads = Record<string, unknown>;

export interface OutboxEvent<T extends string = string, P = unknown> {
  id: string;
  type: T;
  aggregateId: string | null;
  payload: P;
  createdAt: Date;
}

/** A side effect run after commit. At least once: it must be idempotent by `event.id`. */
export interface OutboxConsumer<E extends EventPayloads> {
  events: readonly (keyof E & string)[];
  handle(event: OutboxEvent<keyof E & string, E[keyof E]>): Promise<void>;
  /** Deliveries after which the event is parked with its last error (default 10). */
  maxAttempts?: number;
}

export type OutboxConsumers<E extends EventPayloads> = Record<string, OutboxConsumer<E>>;

const BATCH = 50;
const LEASE_SECONDS = 60;
const retryInSeconds = (attempts: number) => Math.min(2 ** attempts, 3600);

/**
 * The transactional outbox: `publish` writes an event and one delivery per interested consumer in the caller's
 * transaction; the relay hands due deliveries to their consumers, each with its own retries.
 */
export function createOutbox<E extends EventPayloads>(
  database: Database,
  consumers: OutboxConsumers<E>,
  deps: { logger: Logger; metrics: Metrics; pollMs: number },
) {
  const repository = createOutboxRepository(database);
  const subscribers = new Map<string, string[]>();
  for (const [name, consumer] of Object.entries(consumers)) {
    for (const type of consumer.events) subscribers.set(type, [...(subscribers.get(type) ?? []), name]);
  }
  let running: Promise<void> | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  // A nudge that arrives while a pass runs (no sleep to cut short yet) must still send the loop round again.
  let nudged = false;
  const nudge = () => {
    nudged = true;
    wake?.();
  };

  async function deliver(claim: ClaimedDelivery): Promise<void> {
    const consumer = consumers[claim.consumer];
    const event = {
      id: claim.event_id,
      type: claim.type,
      aggregateId: claim.aggregate_id,
      payload: claim.payload,
      createdAt: claim.created_at,
    };
    try {
      if (!consumer) throw new Error(`No consumer named "${claim.consumer}" in this build`);
      await consumer.handle(event as OutboxEvent<keyof E & string, E[keyof E]>);
      await repository.markDelivered(claim.event_id, claim.consumer);
      deps.metrics.outboxDeliveries.inc({ consumer: claim.consumer, result: 'delivered' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const parked = claim.attempts >= (consumer?.maxAttempts ?? 10);
      await repository.markFailed(
        claim.event_id,
        claim.consumer,
        message,
        parked ? undefined : retryInSeconds(claim.attempts),
      );
      deps.metrics.outboxDeliveries.inc({
        consumer: claim.consumer,
        result: parked ? 'abandoned' : 'retried',
      });
      const log = {
        eventId: claim.event_id,
        type: claim.type,
        consumer: claim.consumer,
        attempts: claim.attempts,
        err: error,
      };
      if (parked) deps.logger.error(log, 'outbox delivery abandoned after its last attempt');
      else deps.logger.warn(log, 'outbox delivery failed; will retry');
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      let claimed = 0;
      nudged = false;
      try {
        claimed = await relayOnce();
        deps.metrics.outboxLag.set(await repository.lagSeconds());
      } catch (error) {
        deps.logger.warn({ err: error }, 'outbox relay could not reach the database; retrying');
      }
      if (claimed < BATCH && !stopped && !nudged) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deps.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  }

  /** Claims and delivers one batch; the number of deliveries attempted. */
  async function relayOnce(): Promise<number> {
    const claims = await repository.claimDue(BATCH, LEASE_SECONDS);
    for (const claim of claims) await deliver(claim);
    return claims.length;
  }

  return {
    /** Records an event in the current transaction (call it inside `database.transaction`). */
    async publish<T extends keyof E & string>(
      type: T,
      aggregateId: string | null,
      payload: E[T],
    ): Promise<void> {
      await repository.insertEvent({ id: uuidv7(), type, aggregateId, payload }, subscribers.get(type) ?? []);
      database.afterCommit(nudge);
    },
    relayOnce,
    start(): void {
      stopped = false;
      running ??= loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await running;
      running = undefined;
    },
    prune: (keepDays: number) => repository.prune(keepDays),
  };
}

export type Outbox<E extends EventPayloads> = ReturnType<typeof createOutbox<E>>;

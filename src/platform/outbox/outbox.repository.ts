import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

export interface ClaimedDelivery {
  event_id: string;
  consumer: string;
  attempts: number;
  type: string;
  aggregate_id: string | null;
  payload: unknown;
  created_at: Date;
}

/** Outbox SQL. Written by the outbox alone; every statement runs on PostgreSQL 15 and PGlite. */
export function createOutboxRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  return {
    async insertEvent(
      event: { id: string; type: string; aggregateId: string | null; payload: unknown },
      consumers: string[],
    ) {
      await q()
        .insertInto('outbox_events')
        .values({
          id: event.id,
          type: event.type,
          aggregate_id: event.aggregateId,
          payload: JSON.stringify(event.payload),
        })
        .execute();
      if (consumers.length === 0) return;
      await q()
        .insertInto('outbox_deliveries')
        .values(consumers.map((consumer) => ({ event_id: event.id, consumer })))
        .execute();
    },

    /**
     * Claims due deliveries by pushing their next attempt a lease into the future, in one statement. SKIP LOCKED
     * lets relays in several processes claim disjoint sets; a relay that dies leaves its claims to expire.
     */
    async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
      const { rows } = await sql<ClaimedDelivery>`
        with due as (
          select event_id, consumer from outbox_deliveries
          where delivered_at is null and next_attempt_at <= now()
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        )
        update outbox_deliveries d
        set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
        from due, outbox_events e
        where d.event_id = due.event_id and d.consumer = due.consumer and e.id = d.event_id
        returning d.event_id, d.consumer, d.attempts, e.type, e.aggregate_id, e.payload, e.created_at`.execute(
        q(),
      );
      return rows;
    },

    async markDelivered(eventId: string, consumer: string) {
      await q()
        .updateTable('outbox_deliveries')
        .set({ delivered_at: sql<Date>`now()`, last_error: null })
        .where('event_id', '=', eventId)
        .where('consumer', '=', consumer)
        .execute();
    },

    /** Schedules the next attempt, or parks the delivery for good (`infinity`) when retryInSeconds is undefined. */
    async markFailed(eventId: string, consumer: string, error: string, retryInSeconds: number | undefined) {
      const next =
        retryInSeconds === undefined
          ? sql<Date>`'infinity'::timestamptz`
          : sql<Date>`now() + make_interval(secs => ${retryInSeconds})`;
      await q()
        .updateTable('outbox_deliveries')
        .set({ next_attempt_at: next, last_error: error.slice(0, 2000) })
        .where('event_id', '=', eventId)
        .where('consumer', '=', consumer)
        .execute();
    },

    async lagSeconds(): Promise<number> {
      const { rows } = await sql<{ lag: number | null }>`
        select extract(epoch from now() - min(e.created_at))::float8 as lag
        from outbox_deliveries d join outbox_events e on e.id = d.event_id
        where d.delivered_at is null and d.next_attempt_at < 'infinity'`.execute(q());
      return rows[0]?.lag ?? 0;
    },

    /** Drops events whose deliveries all succeeded more than `keepDays` ago (parked ones stay for inspection). */
    async prune(keepDays: number): Promise<number> {
      const result = await q()
        .deleteFrom('outbox_events')
        .where('created_at', '<', sql<Date>`now() - make_interval(days => ${keepDays})`)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('outbox_deliveries')
                .select('event_id')
                .whereRef('outbox_deliveries.event_id', '=', 'outbox_events.id')
                .where('delivered_at', 'is', null),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

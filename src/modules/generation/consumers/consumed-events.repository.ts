import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';

/** consumed_events: the events a consumer with a non-idempotent effect has handled. */
export function createConsumedEventsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** True the first time a consumer claims an event, false on every redelivery. */
    async claim(consumer: string, eventId: string): Promise<boolean> {
      const row = await db()
        .insertInto('consumed_events')
        .values({ consumer, event_id: eventId })
        .onConflict((oc) => oc.doNothing())
        .returning('event_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Marks older than the outbox keeps its events are never consulted again. */
    async prune(olderThanDays: number): Promise<number> {
      const result = await db()
        .deleteFrom('consumed_events')
        .where('created_at', '<', sql<Date>`now() - make_interval(days => ${olderThanDays})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type ConsumedEventsRepository = ReturnType<typeof createConsumedEventsRepository>;

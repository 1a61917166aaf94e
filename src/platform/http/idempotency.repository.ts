import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/** SQL of the Idempotency-Key store. */
export function createIdempotencyRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  return {
    /** True when this request now owns the key; false when the key was already there. */
    async claim(userId: string, key: string, requestHash: string): Promise<boolean> {
      const row = await q()
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, request_hash: requestHash, status: 'in_flight', response_body: null })
        .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },

    find(userId: string, key: string) {
      return q()
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status', 'response_status', 'response_body'])
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
    },

    /**
     * Takes over a key left in flight by a request that never finished (its process died): only while it is
     * still in flight and older than `cutoff`, so of two retries at once one wins.
     */
    async takeOverStale(userId: string, key: string, requestHash: string, cutoff: Date): Promise<boolean> {
      const row = await q()
        .updateTable('idempotency_keys')
        .set({ created_at: new Date(), request_hash: requestHash })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('status', '=', 'in_flight')
        .where('created_at', '<', cutoff)
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },

    async complete(userId: string, key: string, status: number, body: unknown) {
      await q()
        .updateTable('idempotency_keys')
        .set({ status: 'done', response_status: status, response_body: JSON.stringify(body ?? null) })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .execute();
    },

    /** Frees a key whose request did not finish (server error, aborted), so the client may retry with it. */
    async release(userId: string, key: string) {
      await q()
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('status', '=', 'in_flight')
        .execute();
    },

    async prune(keepHours: number): Promise<number> {
      const result = await q()
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${keepHours})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;

import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';

export interface AiCacheEntry {
  key: string;
  ownerId: string;
  task: string;
  output: unknown;
  model: string;
  usage: unknown;
  ttlSeconds: number;
}

/** The ai_cache table: validated AI outputs per owner, until they expire. */
export function createAiCacheRepository(database: Pick<Database, 'executor'>) {
  return {
    /** The owner's unexpired entry; another owner's row under the same key is never returned. */
    async find(ownerId: string, key: string) {
      return database
        .executor()
        .selectFrom('ai_cache')
        .select(['output', 'model', 'usage', 'created_at'])
        .where('key', '=', key)
        .where('owner_id', '=', ownerId)
        .where('expires_at', '>', sql<Date>`now()`)
        .executeTakeFirst();
    },

    async put(entry: AiCacheEntry): Promise<void> {
      const expires = sql<Date>`now() + make_interval(secs => ${entry.ttlSeconds})`;
      const row = {
        key: entry.key,
        owner_id: entry.ownerId,
        task: entry.task,
        output: JSON.stringify(entry.output),
        model: entry.model,
        usage: entry.usage === undefined ? null : JSON.stringify(entry.usage),
        expires_at: expires,
      };
      await database
        .executor()
        .insertInto('ai_cache')
        .values(row)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            output: row.output,
            model: row.model,
            usage: row.usage,
            expires_at: expires,
          }),
        )
        .execute();
    },

    /** Drops expired entries (the daily prune); the number removed. */
    async pruneExpired(): Promise<number> {
      const result = await database
        .executor()
        .deleteFrom('ai_cache')
        .where('expires_at', '<=', sql<Date>`now()`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type AiCacheRepository = ReturnType<typeof createAiCacheRepository>;

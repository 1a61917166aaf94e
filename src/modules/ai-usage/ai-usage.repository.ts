import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';

/** `day` is a UTC calendar day, 'YYYY-MM-DD'. */
export function createAiUsageRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  return {
    /**
     * Adds to the user's day in one statement (concurrent calls add up). A user deleted meanwhile has no row
     * to charge: selecting from users skips the insert instead of failing on the foreign key.
     */
    async add(userId: string, day: string, tokens: number): Promise<void> {
      await q()
        .insertInto('ai_usage')
        .columns(['user_id', 'day', 'tokens'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select(['id', sql<string>`${day}::date`.as('day'), sql<number>`${tokens}::bigint`.as('tokens')])
            .where('id', '=', userId),
        )
        .onConflict((oc) =>
          oc.columns(['user_id', 'day']).doUpdateSet({ tokens: sql`ai_usage.tokens + excluded.tokens` }),
        )
        .execute();
    },

    async tokensOn(userId: string, day: string): Promise<number> {
      const row = await q()
        .selectFrom('ai_usage')
        // float8 reads as a number on both engines; token counts stay far below 2^53.
        .select(sql<number>`tokens::float8`.as('tokens'))
        .where('user_id', '=', userId)
        .where('day', '=', sql<Date>`${day}::date`)
        .executeTakeFirst();
      return row?.tokens ?? 0;
    },

    /** Rows of days before `day`; returns how many went. */
    async deleteBefore(day: string): Promise<number> {
      const result = await q()
        .deleteFrom('ai_usage')
        .where('day', '<', sql<Date>`${day}::date`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type AiUsageRepository = ReturnType<typeof createAiUsageRepository>;

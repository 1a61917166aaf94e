import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { DeckOutline, Slide } from './deck.schema.ts';
import type { Finished } from './presentations.repository.ts';

/**
 * The generation job's side of presentations: status moves by compare-and-set on (status, generation), so a
 * stale or duplicate run changes nothing.
 */
export function createDeckGenerationRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** queued → generating for this generation only; undefined when stale, deleted or already finished. */
    async startGenerating(id: string, generation: number) {
      const row = await db()
        .updateTable('presentations')
        .set({ status: 'generating', updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .returning([
          'owner_id',
          'title',
          'prompt',
          'num_cards',
          'style',
          'template_id',
          'document_ids',
          'ai_only',
          'outline',
          'slides',
          'engine',
          'model',
          'degraded',
          'notice',
        ])
        .executeTakeFirst();
      return (
        row && { ...row, outline: row.outline as DeckOutline | null, slides: row.slides as Slide[] | null }
      );
    },

    /** Stores the finished deck, unless it moved on meanwhile (regenerated again or deleted). */
    async complete(id: string, generation: number, finished: Finished): Promise<boolean> {
      const result = await db()
        .updateTable('presentations')
        .set({
          status: 'ready',
          title: finished.artifact.title,
          slides: JSON.stringify(finished.artifact.slides),
          engine: finished.engine,
          model: finished.model,
          degraded: finished.degraded,
          notice: finished.notice,
          error: null,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', '=', 'generating')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Ends this generation: a deck without slides fails; a deck whose slide regenerate failed is ready again as
     * it was, saying why. False when it moved on.
     */
    async fail(id: string, generation: number, reason: string): Promise<boolean> {
      const result = await db()
        .updateTable('presentations')
        .set({
          status: sql`case when slides is null then 'failed' else 'ready' end`,
          error: sql`case when slides is null then ${reason}::text else null end`,
          notice: sql`case when slides is null then notice else ${reason}::text end`,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Decks still queued or generating whose last change is older than `before` (their job may be lost). */
    stalled(before: Date, limit: number) {
      return db()
        .selectFrom('presentations')
        .select(['id', 'generation', sql<boolean>`slides is not null`.as('has_slides')])
        .where('status', 'in', ['queued', 'generating'])
        .where('updated_at', '<', before)
        .orderBy('updated_at')
        .limit(limit)
        .execute();
    },

    /** A stalled deck back to queued under a new generation, so a late run of the old job skips. */
    revive(id: string, generation: number) {
      return db()
        .updateTable('presentations')
        .set({ status: 'queued', generation: sql<number>`generation + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('status', 'in', ['queued', 'generating'])
        .returning(['generation', 'cache_key'])
        .executeTakeFirst();
    },
  };
}

export type DeckGenerationRepository = ReturnType<typeof createDeckGenerationRepository>;

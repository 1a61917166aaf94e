import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { Cursor } from '../../../platform/pagination.ts';
import type { DeckArtifact, DeckOutline, Slide } from './deck.schema.ts';

export interface NewDeck {
  id: string;
  ownerId: string;
  title: string;
  prompt: string;
  numCards: number;
  style: string;
  templateId: string;
  themeId: string;
  documentIds: string[];
  aiOnly: boolean;
  cacheKey: string;
  /** The model's outline, made while the request waited; the job writes the slides. */
  outline: DeckOutline | null;
  /** A deck served from ai_cache, or built extractively at once because the model failed: ready now. */
  ready?: Finished & { cached: boolean };
}

export interface Finished {
  artifact: DeckArtifact;
  engine: 'llm' | 'extractive';
  model: string;
  degraded: boolean;
  notice: string | null;
}

const SUMMARY_COLUMNS = [
  'id',
  'owner_id',
  'title',
  'prompt',
  'num_cards',
  'style',
  'template_id',
  'theme_id',
  'document_ids',
  'status',
  'generation',
  'engine',
  'model',
  'degraded',
  'notice',
  'cached',
  'error',
  'created_at',
  'updated_at',
] as const;

/** The presentations table, as the API uses it (the job's side is in deck-generation.repository.ts). */
export function createPresentationsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** The owner's documents among `ids`, with what a cache key needs to know about their content. */
    findDocuments(ownerId: string, ids: string[]) {
      if (ids.length === 0) return Promise.resolve([]);
      return db()
        .selectFrom('documents')
        .select(['id', 'title', 'status', 'sha256', 'generation'])
        .where('owner_id', '=', ownerId)
        .where('id', 'in', ids)
        .execute();
    },

    /** The new deck's row, as `findById` reads it. */
    async insert(deck: NewDeck) {
      const { ready } = deck;
      const row = await db()
        .insertInto('presentations')
        .values({
          id: deck.id,
          owner_id: deck.ownerId,
          title: ready?.artifact.title ?? deck.outline?.title ?? deck.title,
          prompt: deck.prompt,
          num_cards: deck.numCards,
          style: deck.style,
          template_id: deck.templateId,
          theme_id: deck.themeId,
          document_ids: JSON.stringify(deck.documentIds),
          ai_only: deck.aiOnly,
          status: ready ? 'ready' : 'queued',
          outline: deck.outline ? JSON.stringify(deck.outline) : null,
          slides: ready ? JSON.stringify(ready.artifact.slides) : null,
          engine: ready?.engine ?? null,
          model: ready?.model ?? null,
          degraded: ready?.degraded ?? false,
          notice: ready?.notice ?? null,
          cached: ready?.cached ?? false,
          cache_key: deck.cacheKey,
        })
        .returning([...SUMMARY_COLUMNS, 'slides'])
        .executeTakeFirstOrThrow();
      return { ...row, slides: row.slides as Slide[] | null };
    },

    async findById(ownerId: string, id: string) {
      const row = await db()
        .selectFrom('presentations')
        .select([...SUMMARY_COLUMNS, 'slides'])
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return row && { ...row, slides: row.slides as Slide[] | null };
    },

    /** One keyset page of the owner's decks, newest first (limit + 1 rows), without their slides. */
    listByOwner(ownerId: string, cursor: Cursor | undefined, limit: number) {
      let query = db()
        .selectFrom('presentations')
        .select([
          ...SUMMARY_COLUMNS,
          sql<number>`coalesce(jsonb_array_length(slides), 0)::int`.as('slide_count'),
        ])
        .where('owner_id', '=', ownerId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (cursor) {
        query = query.where(sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
      }
      return query.execute();
    },

    /** Only the theme changes: content, status and the cache entry stay as they are. */
    async setTheme(ownerId: string, id: string, themeId: string): Promise<boolean> {
      const result = await db()
        .updateTable('presentations')
        .set({ theme_id: themeId, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** A ready deck back to queued under a new generation (a slide regenerate); undefined while it is busy. */
    restart(ownerId: string, id: string) {
      return db()
        .updateTable('presentations')
        .set({
          status: 'queued',
          generation: sql<number>`generation + 1`,
          error: null,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .where('status', '=', 'ready')
        .returning(['generation', 'cache_key'])
        .executeTakeFirst();
    },

    async delete(ownerId: string, id: string): Promise<boolean> {
      const result = await db()
        .deleteFrom('presentations')
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type PresentationsRepository = ReturnType<typeof createPresentationsRepository>;
export type DeckRow = NonNullable<Awaited<ReturnType<PresentationsRepository['findById']>>>;
export type DeckSummaryRow = Awaited<ReturnType<PresentationsRepository['listByOwner']>>[number];

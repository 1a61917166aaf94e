import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { CitationRow, ConversationScopeRow } from '../../platform/db/tables.ts';
import type { Cursor } from '../../platform/pagination.ts';

const messageColumns = [
  'id',
  'conversation_id',
  'role',
  'content',
  'citations',
  'status',
  'engine',
  'model',
  'notice',
  'created_at',
] as const;

export interface NewMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  citations?: CitationRow[];
  status?: 'complete' | 'interrupted';
  engine?: 'llm' | 'extractive';
  model?: string;
  notice?: string | null;
}

export type ConversationRow = NonNullable<Awaited<ReturnType<ConversationsRepository['find']>>>;
export type MessageRow = Awaited<ReturnType<ConversationsRepository['insertMessage']>>;

/** Conversations, their messages, and the chunk texts an answer quotes (always through the owner). */
export function createConversationsRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  const keysetAfter = (alias: string, after: Cursor | undefined) =>
    after
      ? sql<boolean>`(${sql.ref(`${alias}.created_at`)}, ${sql.ref(`${alias}.id`)}) < (${after.createdAt}, ${after.id})`
      : sql<boolean>`true`;

  return {
    create(row: { id: string; owner_id: string; title: string | null; scope: ConversationScopeRow }) {
      return q()
        .insertInto('conversations')
        .values({ ...row, scope: JSON.stringify(row.scope) })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    find(ownerId: string, id: string) {
      return q()
        .selectFrom('conversations')
        .selectAll()
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
    },

    list(ownerId: string, page: { limit: number; after?: Cursor }) {
      return q()
        .selectFrom('conversations as c')
        .selectAll()
        .where('c.owner_id', '=', ownerId)
        .where(keysetAfter('c', page.after))
        .orderBy('c.created_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(page.limit + 1)
        .execute();
    },

    async delete(ownerId: string, id: string): Promise<boolean> {
      const result = await q()
        .deleteFrom('conversations')
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    insertMessage(message: NewMessage) {
      return q()
        .insertInto('messages')
        .values({ ...message, citations: JSON.stringify(message.citations ?? []) })
        .returning(messageColumns)
        .executeTakeFirstOrThrow();
    },

    /** Newest first, keyset after `after`. */
    messages(conversationId: string, page: { limit: number; after?: Cursor }) {
      return q()
        .selectFrom('messages as m')
        .select(messageColumns)
        .where('m.conversation_id', '=', conversationId)
        .where(keysetAfter('m', page.after))
        .orderBy('m.created_at', 'desc')
        .orderBy('m.id', 'desc')
        .limit(page.limit + 1)
        .execute();
    },

    /** Which of `ids` are documents of `ownerId`. */
    async ownedDocuments(ownerId: string, ids: string[]): Promise<Set<string>> {
      const rows = await q()
        .selectFrom('documents')
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('id', 'in', ids)
        .execute();
      return new Set(rows.map((r) => r.id));
    },

    /** The full text of retrieved chunks, in no particular order; another owner's chunks never come back. */
    chunks(ownerId: string, chunkIds: string[]) {
      return q()
        .selectFrom('chunks as c')
        .innerJoin('documents as d', 'd.id', 'c.document_id')
        .select(['c.id', 'c.document_id', 'd.title', 'c.page_from', 'c.page_to', 'c.page_breaks', 'c.text'])
        .where('d.owner_id', '=', ownerId)
        .where('c.id', 'in', chunkIds)
        .execute();
    },
  };
}

export type ConversationsRepository = ReturnType<typeof createConversationsRepository>;

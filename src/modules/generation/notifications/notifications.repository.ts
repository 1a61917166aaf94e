import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { Database } from '../../../platform/db/database.ts';
import type { Cursor } from '../../../platform/pagination.ts';

export interface NewNotification {
  userId: string;
  eventId: string;
  kind: string;
  subjectId: string | null;
  title: string;
  body: string;
}

/** notifications: what the owner is told, one row per causing event. */
export function createNotificationsRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  return {
    /** Idempotent by event id: a redelivered event adds nothing. The new row's id, or undefined if it existed. */
    async insertOnce(notification: NewNotification): Promise<string | undefined> {
      const row = await db()
        .insertInto('notifications')
        .values({
          id: uuidv7(),
          user_id: notification.userId,
          event_id: notification.eventId,
          kind: notification.kind,
          subject_id: notification.subjectId,
          title: notification.title,
          body: notification.body,
        })
        .onConflict((oc) => oc.column('event_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      return row?.id;
    },

    /** One keyset page, newest first (limit + 1 rows). */
    listByUser(userId: string, cursor: Cursor | undefined, limit: number) {
      let query = db()
        .selectFrom('notifications')
        .select(['id', 'kind', 'subject_id', 'title', 'body', 'created_at'])
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (cursor) {
        query = query.where(sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
      }
      return query.execute();
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;

import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import type { Actor } from '../../users/index.ts';
import type { NotificationsRepository } from './notifications.repository.ts';

export function createNotificationsService(notifications: NotificationsRepository) {
  return {
    async list(actor: Actor, query: { limit: number; cursor?: string }) {
      const rows = await notifications.listByUser(actor.id, decodeCursor(query.cursor), query.limit);
      return toPage(rows, query.limit);
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

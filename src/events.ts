import type { UserEvents } from './modules/users/index.ts';
import type { OutboxConsumers } from './platform/outbox/outbox.ts';

/** Every event type written to the outbox, by the module that publishes it. */
export type EventPayloads = UserEvents;

/**
 * Consumers of outbox events, by name (the name is stored with each delivery: never rename one). Each runs
 * after the publishing transaction commits, at least once, and must be idempotent by event id.
 */
export function createOutboxConsumers(deps: {
  dropCachedUser: (userId: string) => Promise<void>;
}): OutboxConsumers<EventPayloads> {
  return {
    // The cached user decides whether an access token still works: its removal must reach Redis even if
    // Redis was down when the account was deleted, so it is retried here until it does.
    userCache: {
      events: ['user.deleted'],
      handle: (event) => deps.dropCachedUser((event.payload as { userId: string }).userId),
    },
  };
}

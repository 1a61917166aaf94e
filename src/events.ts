import type { UserEvents } from './modules/users/index.ts';
import type { OutboxConsumers } from './platform/outbox/outbox.ts';

/** Every event type written to the outbox, by the module that publishes it. */
export type EventPayloads = UserEvents;

/**
 * Consumers of outbox events, by name (the name is stored with each delivery: never rename one). Each runs
 * after the publishing transaction commits, at least once, and must be idempotent by event id. The library
 * module subscribes its clean-up of blobs and vectors to `user.deleted` here.
 */
export function createOutboxConsumers(): OutboxConsumers<EventPayloads> {
  return {};
}

import type { DocumentEvents } from './modules/documents/index.ts';
import type { UserEvents } from './modules/users/index.ts';
import type { OutboxConsumers } from './platform/outbox/outbox.ts';

/** Every event type written to the outbox, by the module that publishes it. */
export type EventPayloads = UserEvents & DocumentEvents;

type Payload<T extends keyof EventPayloads> = EventPayloads[T];

/**
 * Consumers of outbox events, by name (the name is stored with each delivery: never rename one). Each runs
 * after the publishing transaction commits, at least once, and must be idempotent by event id.
 */
export function createOutboxConsumers(deps: {
  dropCachedUser: (userId: string) => Promise<void>;
  /** Enqueues a document's stage job (idempotent: the job id is deterministic). */
  enqueueStage: (request: Payload<'document.stage-requested'>) => Promise<void>;
  deleteDocumentsOf: (ownerId: string) => Promise<void>;
  deleteBlob: (blobKey: string) => Promise<void>;
}): OutboxConsumers<EventPayloads> {
  return {
    // The cached user decides whether an access token still works: its removal must reach Redis even if
    // Redis was down when the account was deleted, so it is retried here until it does.
    userCache: {
      events: ['user.deleted'],
      handle: (event) => deps.dropCachedUser((event.payload as Payload<'user.deleted'>).userId),
    },
    userDocuments: {
      events: ['user.deleted'],
      handle: (event) => deps.deleteDocumentsOf((event.payload as Payload<'user.deleted'>).userId),
    },
    // Stage jobs start from the outbox, so a status change and the job that follows it commit together;
    // when the queue (Redis) is down, the delivery is retried.
    ingestQueue: {
      events: ['document.created', 'document.stage-requested'],
      handle: (event) => {
        const payload = event.payload as Payload<'document.created'> | Payload<'document.stage-requested'>;
        return deps.enqueueStage(
          'stage' in payload
            ? payload
            : { documentId: payload.documentId, generation: payload.generation, stage: 'extract' },
        );
      },
    },
    documentBlobs: {
      events: ['document.deleted'],
      handle: (event) => deps.deleteBlob((event.payload as Payload<'document.deleted'>).blobKey),
    },
  };
}

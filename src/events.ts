import type { DocumentEvents } from './modules/documents/index.ts';
import type { EmbeddingEvents } from './modules/embeddings/index.ts';
import type { CourseEvents, PresentationEvents } from './modules/generation/index.ts';
import type { SocialEvents } from './modules/social/index.ts';
import type { UserEvents } from './modules/users/index.ts';
import type { OutboxConsumers } from './platform/outbox/outbox.ts';

/** Every event type written to the outbox, by the module that publishes it. */
export type EventPayloads = UserEvents &
  DocumentEvents &
  SocialEvents &
  EmbeddingEvents &
  CourseEvents &
  PresentationEvents;

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
  /** Enqueues the re-embed of a new embedding space (idempotent: one job id per space). */
  enqueueReembed: (spaceId: number) => Promise<void>;
  /** Enqueues a post's fan-out into its audience's feeds (job id from the post: enqueued once). */
  enqueueFanOut: (postId: string) => Promise<void>;
  /** Deletes the photo blobs a deleted post, or every photo blob a deleted user, leaves behind. */
  deletePhotoBlobs: (by: { postId: string } | { ownerId: string }) => Promise<void>;
  /** Enqueues the reconciliation of each viewer's feed with each owner's posts (job ids from the event). */
  enqueueRefeed: (eventId: string, pairs: { ownerId: string; viewerId: string }[]) => Promise<void>;
  /** Course generation, notifications, analytics and search indexing (the generation module's consumers). */
  courseConsumers: OutboxConsumers<EventPayloads>;
}): OutboxConsumers<EventPayloads> {
  return {
    ...deps.courseConsumers,
    // Feeds follow posts and privacy changes through jobs, so a change and its fan-out commit together.
    socialFanOut: {
      events: ['post.created'],
      handle: (event) => deps.enqueueFanOut((event.payload as Payload<'post.created'>).postId),
    },
    socialRefeed: {
      events: ['connection.changed', 'audience.changed'],
      handle: (event) => {
        const payload = event.payload as Payload<'connection.changed'> | Payload<'audience.changed'>;
        const pairs =
          'peerId' in payload
            ? [
                { ownerId: payload.userId, viewerId: payload.peerId },
                { ownerId: payload.peerId, viewerId: payload.userId },
              ]
            : payload.viewerIds.map((viewerId) => ({ ownerId: payload.ownerId, viewerId }));
        return deps.enqueueRefeed(event.id, pairs);
      },
    },
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
    embeddingsQueue: {
      events: ['embedding-space.created'],
      handle: (event) => deps.enqueueReembed((event.payload as Payload<'embedding-space.created'>).spaceId),
    },
    socialPhotoBlobs: {
      events: ['post.deleted', 'user.deleted'],
      handle: (event) => {
        const payload = event.payload as Payload<'post.deleted'> | Payload<'user.deleted'>;
        return deps.deletePhotoBlobs(
          'postId' in payload ? { postId: payload.postId } : { ownerId: payload.userId },
        );
      },
    },
    documentBlobs: {
      events: ['document.deleted'],
      handle: (event) => deps.deleteBlob((event.payload as Payload<'document.deleted'>).blobKey),
    },
  };
}

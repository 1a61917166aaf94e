/** Events the social module publishes through the outbox (in the transaction that makes them true). */
export type SocialEvents = {
  'post.created': { postId: string; authorId: string };
  /** The post is gone; its photo blobs are deleted by a consumer. */
  'post.deleted': { postId: string; authorId: string };
  /** A connection appeared, went, or was blocked: each side's feed is reconciled with the other's posts. */
  'connection.changed': { userId: string; peerId: string };
  /** The owner's tags on these connections changed: their feeds are reconciled with the owner's posts. */
  'audience.changed': { ownerId: string; viewerIds: string[] };
};

/** Publishes a social event through the outbox, in the caller's transaction. */
export type PublishSocialEvent = <T extends keyof SocialEvents>(
  type: T,
  aggregateId: string,
  payload: SocialEvents[T],
) => Promise<void>;

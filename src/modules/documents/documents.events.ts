/** A stage job to run; large PDFs are extracted in page ranges (`pages`, 1-based, inclusive). */
export type StageRequest =
  | { stage: 'extract' | 'chunk' | 'embed' | 'summarize' }
  | { stage: 'extract-pages'; pages: { from: number; to: number } };

/** Events the library publishes through the outbox (in the transaction that makes them true). */
export type DocumentEvents = {
  'document.created': { documentId: string; ownerId: string; generation: number };
  /** Stage jobs are enqueued by an outbox consumer, so a status change and its next job commit together. */
  'document.stage-requested': { documentId: string; generation: number } & StageRequest;
  'document.ready': { documentId: string; ownerId: string };
  'document.failed': { documentId: string; ownerId: string; error: string };
  'document.deleted': { documentId: string; ownerId: string; blobKey: string };
};

/** Publishes a library event through the outbox, in the caller's transaction. */
export type PublishDocumentEvent = <T extends keyof DocumentEvents>(
  type: T,
  aggregateId: string,
  payload: DocumentEvents[T],
) => Promise<void>;

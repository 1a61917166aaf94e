// The documents module's public surface: other modules import only from here.
export { DOCUMENT_ERRORS } from './documents.errors.ts';
export type { DocumentEvents, PublishDocumentEvent } from './documents.events.ts';
export { createDocumentsRepository } from './documents.repository.ts';
export { documentProgressRoutes } from './document-progress.routes.ts';
export { documentsRoutes } from './documents.routes.ts';
export { createDocumentsService, progressChannel, type DocumentsService } from './documents.service.ts';
export { embedBatchSize, storeVectors, vectorsFor, type EmbedTarget } from './embed-chunks.ts';
export { createEmbeddingsRepository, type EmbeddingsRepository } from './embeddings.repository.ts';
export { createIngestPipeline, type IngestPipeline, type StageJob } from './ingest-pipeline.ts';
export { createPipelineRepository } from './pipeline.repository.ts';
export { storiesRoutes } from './stories.routes.ts';
export { uploadRoutes } from './upload.routes.ts';
export { createUploadsService, type UploadsService } from './uploads.service.ts';

// The embeddings module's public surface: other modules import only from here.
export { EMBEDDINGS_ERRORS } from './embeddings.errors.ts';
export { embeddingsRoutes } from './embeddings.routes.ts';
export {
  createEmbeddingsService,
  spaceChannel,
  type EmbeddingEvents,
  type EmbeddingsService,
  type SpaceView,
} from './embeddings.service.ts';
export { createReembed, type Reembed } from './reembed.ts';
export { createSpacesRepository } from './spaces.repository.ts';

import { defineErrors } from '../../platform/errors.ts';

export const EMBEDDINGS_ERRORS = defineErrors({
  EMBEDDINGS_VECTOR_DISABLED: {
    status: 409,
    when: 'Embedding spaces were asked for on a deployment without vector search (VECTOR_SEARCH=off).',
  },
  EMBEDDINGS_MODEL_UNAVAILABLE: {
    status: 422,
    when: 'The model cannot embed here: not the local model and no AI_BASE_URL, the endpoint refused it or did not answer, or `dims` does not match its vectors.',
  },
  EMBEDDINGS_MODEL_ACTIVE: {
    status: 409,
    when: 'The model (with these dimensions) is already the active embedding space.',
  },
  EMBEDDINGS_SWITCH_IN_PROGRESS: {
    status: 409,
    when: 'Another embedding space is still being built; wait until it is active or failed.',
  },
  EMBEDDINGS_SPACE_NOT_FOUND: {
    status: 404,
    when: 'No embedding space has this id (a retired space is gone once its vectors are dropped).',
  },
  EMBEDDINGS_ACTIVE_MODEL_UNAVAILABLE: {
    status: 503,
    when: 'The active space’s model cannot embed the query in this process (its endpoint is not configured here).',
  },
});

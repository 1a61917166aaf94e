import { defineErrors } from '../../platform/errors.ts';

export const SEARCH_ERRORS = defineErrors({
  SEARCH_VECTOR_DISABLED: {
    status: 409,
    when: '`mode=vector` on a deployment without vector search (VECTOR_SEARCH=off); use `hybrid` or `text`.',
  },
});

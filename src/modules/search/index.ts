// The search module's public surface: other modules import only from here.
export { SEARCH_ERRORS } from './search.errors.ts';
export { createSearchRepository } from './search.repository.ts';
export { searchRoutes } from './search.routes.ts';
export { createSearchService, type SearchService } from './search.service.ts';

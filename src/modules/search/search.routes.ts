import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import { SearchQuery, SearchResponse } from './search.schema.ts';
import type { SearchService } from './search.service.ts';

export function searchRoutes(search: SearchService, authenticate: Authenticate): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    app.get(
      '/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Hybrid search over your ready documents: vector (HNSW) and full-text, fused by RRF.',
          description:
            'Errors: 409 SEARCH_VECTOR_DISABLED (mode=vector without vector search). `Server-Timing` has `embed`, `db` ' +
            'and `total`.',
          security: [{ bearer: [] }],
          querystring: SearchQuery,
          response: { 200: SearchResponse },
        },
      },
      async (request) => {
        const result = await search.search(request.actor, request.query);
        return {
          mode: result.mode,
          vectorSearch: result.vectorSearch,
          space: result.space,
          hits: result.hits.map((hit) => ({
            documentId: hit.document_id,
            title: hit.title,
            kind: hit.kind,
            chunkId: hit.chunk_id,
            pageFrom: hit.page_from,
            pageTo: hit.page_to,
            snippet: hit.snippet,
            score: Number(hit.score),
            vectorRank: hit.vector_rank,
            textRank: hit.text_rank,
          })),
        };
      },
    );
  };
}

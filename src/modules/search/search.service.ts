import { createHash } from 'node:crypto';
import type { Embedder } from '../../platform/ai/embedder.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { recordTiming } from '../../platform/observability/request-context.ts';
import type { Actor } from '../users/index.ts';
import type { SearchHit, SearchMode, SearchRepository, SearchScope } from './search.repository.ts';

export interface SearchServiceDeps {
  search: SearchRepository;
  /** Undefined when vector search is off. */
  embedder: Embedder | undefined;
  cache: Pick<Cache, 'getOrSet'>;
  tuning: { candidates: number; efSearch: number; rrfK: number; vectorWeight: number; textWeight: number };
}

export interface SearchInput extends Omit<SearchScope, 'ownerId'> {
  q: string;
  mode: SearchMode;
  limit: number;
}

export interface SearchResult {
  mode: SearchMode;
  /** `disabled`: this deployment searches text only, whatever the mode asked. */
  vectorSearch: 'enabled' | 'disabled';
  hits: SearchHit[];
}

export function createSearchService(deps: SearchServiceDeps) {
  /** The query's vector in the active space, cached per space (a model switch makes a new space). */
  async function queryVector(embedder: Embedder, text: string) {
    const space = await deps.search.activeSpace();
    if (!space) return undefined;
    const key = `${space.id}:${createHash('sha256').update(text).digest('base64url')}`;
    const started = performance.now();
    const values = await deps.cache.getOrSet('embedding', key, async () => {
      const { vectors } = await embedder.embed([text], { task: 'search' });
      return vectors[0]!;
    });
    recordTiming('embed', performance.now() - started);
    return { spaceId: space.id, dims: space.dims, values };
  }

  return {
    async search(actor: Actor, input: SearchInput): Promise<SearchResult> {
      const { embedder, tuning } = deps;
      if (!embedder && input.mode === 'vector') {
        throw new AppError(
          'SEARCH_VECTOR_DISABLED',
          409,
          'Vector search is off on this deployment; use mode=hybrid or mode=text.',
        );
      }
      const vector = embedder && input.mode !== 'text' ? await queryVector(embedder, input.q) : undefined;
      const hits = await deps.search.search(
        { ownerId: actor.id, documentIds: input.documentIds, tags: input.tags, kind: input.kind },
        {
          text: input.q,
          mode: input.mode,
          vector,
          limit: input.limit,
          candidates: Math.max(tuning.candidates, input.limit),
          rrf: { k: tuning.rrfK, vectorWeight: tuning.vectorWeight, textWeight: tuning.textWeight },
          efSearch: tuning.efSearch,
        },
      );
      return { mode: input.mode, vectorSearch: embedder ? 'enabled' : 'disabled', hits };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;

import { createHash } from 'node:crypto';
import type { Embedder } from '../../platform/ai/embedder.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { AppError } from '../../platform/errors.ts';
import { recordTiming } from '../../platform/observability/request-context.ts';
import type { Actor } from '../users/index.ts';
import type { SearchHit, SearchMode, SearchRepository, SearchScope } from './search.repository.ts';

export interface SearchServiceDeps {
  search: SearchRepository;
  /** The embedder of a space's model; undefined when vector search is off. */
  embedderFor: ((space: { model: string; dims: number }) => Embedder) | undefined;
  cache: Pick<Cache, 'getOrSet'>;
  tuning: { candidates: number; efSearch: number; rrfK: number; vectorWeight: number; textWeight: number };
}

export interface SearchInput extends Omit<SearchScope, 'ownerId'> {
  q: string;
  /** The full-text query when it should differ from `q` (websearch syntax, e.g. words joined by `or`). */
  textQuery?: string;
  mode: SearchMode;
  limit: number;
}

export interface SearchResult {
  mode: SearchMode;
  /** `disabled`: this deployment searches text only, whatever the mode asked. */
  vectorSearch: 'enabled' | 'disabled';
  /** The embedding space the vector list came from; null when none was used. */
  space: { id: number; model: string } | null;
  hits: SearchHit[];
}

export function createSearchService(deps: SearchServiceDeps) {
  /**
   * The query's vector in the active space, by that space's own model (during a model switch, the old one),
   * cached per space (a switch makes a new space).
   */
  async function queryVector(embedderFor: NonNullable<SearchServiceDeps['embedderFor']>, text: string) {
    const space = await deps.search.activeSpace();
    if (!space) return undefined;
    const embedder = embedderFor(space);
    const key = `${space.id}:${createHash('sha256').update(text).digest('base64url')}`;
    const started = performance.now();
    const values = await deps.cache.getOrSet('embedding', key, async () => {
      const { vectors } = await embedder.embed([text], { task: 'search' });
      return vectors[0]!;
    });
    recordTiming('embed', performance.now() - started);
    return { space, values };
  }

  return {
    async search(actor: Actor, input: SearchInput): Promise<SearchResult> {
      const { embedderFor, tuning } = deps;
      if (!embedderFor && input.mode === 'vector') {
        throw new AppError(
          'SEARCH_VECTOR_DISABLED',
          409,
          'Vector search is off on this deployment; use mode=hybrid or mode=text.',
        );
      }
      const queried =
        embedderFor && input.mode !== 'text' ? await queryVector(embedderFor, input.q) : undefined;
      const space = queried?.space;
      const vector = space && { spaceId: space.id, dims: space.dims, values: queried.values };
      const hits = await deps.search.search(
        { ownerId: actor.id, documentIds: input.documentIds, tags: input.tags, kind: input.kind },
        {
          text: input.textQuery ?? input.q,
          mode: input.mode,
          vector,
          limit: input.limit,
          candidates: Math.max(tuning.candidates, input.limit),
          rrf: { k: tuning.rrfK, vectorWeight: tuning.vectorWeight, textWeight: tuning.textWeight },
          efSearch: tuning.efSearch,
        },
      );
      return {
        mode: input.mode,
        vectorSearch: embedderFor ? 'enabled' : 'disabled',
        space: space ? { id: space.id, model: space.model } : null,
        hits,
      };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;

import type { Embedder } from '../../platform/ai/embedder.ts';
import { EmbedderUnavailableError, type EmbedderRegistry } from '../../platform/ai/embedders.ts';
import type { EmbeddingSpaceState } from '../../platform/db/tables.ts';
import { AppError } from '../../platform/errors.ts';
import type { EmbeddingsRepository, EmbedTarget } from '../documents/index.ts';
import type { SpaceRow, SpacesRepository } from './spaces.repository.ts';

export type EmbeddingEvents = {
  /** A building space was created: its re-embed job is enqueued from the outbox. */
  'embedding-space.created': { spaceId: number };
};

export interface SpaceView {
  id: number;
  model: string;
  dims: number;
  state: EmbeddingSpaceState;
  error: string | null;
  progress: { embedded: number; total: number };
  createdAt: Date;
  activatedAt: Date | null;
}

export interface EmbeddingsServiceDeps {
  spaces: SpacesRepository;
  vectors: Pick<EmbeddingsRepository, 'ensureSpace'>;
  /** Undefined when vector search is off. */
  registry: EmbedderRegistry | undefined;
  /** The configured embedder: the model of the first space. */
  configured: Embedder | undefined;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: <T extends keyof EmbeddingEvents>(
    type: T,
    aggregateId: string,
    payload: EmbeddingEvents[T],
  ) => Promise<void>;
}

export const spaceChannel = (id: number) => `embedding-space:${id}`;

/** Embedding spaces as admins and the other modules see them: which space serves, which is being built. */
export function createEmbeddingsService(deps: EmbeddingsServiceDeps) {
  const { spaces } = deps;

  function requireVector(): EmbedderRegistry {
    if (deps.registry) return deps.registry;
    throw new AppError(
      'EMBEDDINGS_VECTOR_DISABLED',
      409,
      'Vector search is off on this deployment (VECTOR_SEARCH=off): there are no embedding spaces to manage.',
    );
  }

  const view = (row: SpaceRow, total: number): SpaceView => ({
    id: row.id,
    model: row.model,
    dims: row.dims,
    state: row.state,
    error: row.error,
    progress: { embedded: row.state === 'active' ? total : Math.min(row.embedded_chunks, total), total },
    createdAt: row.created_at,
    activatedAt: row.activated_at,
  });

  return {
    async list(): Promise<SpaceView[]> {
      requireVector();
      const [rows, total] = await Promise.all([spaces.list(), spaces.chunkCount()]);
      return rows.map((row) => view(row, total));
    },

    async get(id: number): Promise<SpaceView> {
      requireVector();
      const row = await spaces.find(id);
      if (!row) throw new AppError('EMBEDDINGS_SPACE_NOT_FOUND', 404, `No embedding space ${id}.`);
      return view(row, await spaces.chunkCount());
    },

    /**
     * Starts a switch to `model`: a building space, re-embedded in the background (the job starts from the
     * outbox), while searches keep using the active space.
     */
    async requestSwitch(input: { model: string; dims?: number }): Promise<SpaceView> {
      const registry = requireVector();
      let embedder: Embedder;
      try {
        embedder = await registry.resolve(input.model, input.dims);
      } catch (error) {
        if (!(error instanceof EmbedderUnavailableError)) throw error;
        throw new AppError('EMBEDDINGS_MODEL_UNAVAILABLE', 422, error.message);
      }
      const created = await deps.transaction(async () => {
        const [active] = await spaces.inState('active');
        if (active?.model === embedder.model && active.dims === embedder.dimensions) {
          throw new AppError(
            'EMBEDDINGS_MODEL_ACTIVE',
            409,
            `${embedder.model} (${embedder.dimensions} dimensions) is the active embedding model already.`,
          );
        }
        const space = await spaces.createBuilding(embedder.model, embedder.dimensions);
        if (!space) {
          const [building] = await spaces.inState('building');
          throw new AppError(
            'EMBEDDINGS_SWITCH_IN_PROGRESS',
            409,
            `Space ${building?.id ?? '?'} (${building?.model ?? '?'}) is still being built; wait until it is active or failed.`,
          );
        }
        await deps.publish('embedding-space.created', String(space.id), { spaceId: space.id });
        return space;
      });
      return view(created, await spaces.chunkCount());
    },

    /** Where the embed stage writes: the active space (created on first use) and a space being built. */
    async ingestTargets(): Promise<{ active: EmbedTarget; building: EmbedTarget | undefined }> {
      const registry = requireVector();
      const configured = deps.configured!;
      const activeId = await deps.vectors.ensureSpace(configured.model, configured.dimensions);
      const [active, building] = await Promise.all([spaces.find(activeId), spaces.inState('building')]);
      const target = (row: SpaceRow) => ({ spaceId: row.id, embedder: registry.forSpace(row) });
      const next = building[0];
      let buildingTarget: EmbedTarget | undefined;
      try {
        buildingTarget = next ? target(next) : undefined;
      } catch {
        buildingTarget = undefined; // not servable here: the re-embed job's catch-up fills the gap
      }
      return { active: target(active!), building: buildingTarget };
    },

    /**
     * Why the configured model is not the one searches use, if it is not: the active space keeps its model until
     * `lectern embeddings use` switches it (editing AI_EMBEDDING_MODEL alone changes nothing).
     */
    async configuredDrift(): Promise<string | undefined> {
      if (!deps.registry || !deps.configured) return undefined;
      const { model, dimensions } = deps.configured;
      const [active] = await spaces.inState('active');
      if (!active || (active.model === model && active.dims === dimensions)) return undefined;
      return (
        `AI_EMBEDDING_MODEL is ${model} (${dimensions} dimensions) but the active embedding space uses ` +
        `${active.model} (${active.dims}); run \`lectern embeddings use ${model}\` to switch without downtime.`
      );
    },

    /** The embedder of a space searches use: its own model, whatever is configured now. */
    embedderFor(space: { model: string; dims: number }): Embedder {
      try {
        return requireVector().forSpace(space);
      } catch (error) {
        if (!(error instanceof EmbedderUnavailableError)) throw error;
        throw new AppError('EMBEDDINGS_ACTIVE_MODEL_UNAVAILABLE', 503, error.message);
      }
    },
  };
}

export type EmbeddingsService = ReturnType<typeof createEmbeddingsService>;

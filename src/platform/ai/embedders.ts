import type { Embedder } from './embedder.ts';
import type { LocalEmbedder } from './local-embedder.ts';

/** Why a model cannot embed here; the message is safe to show. */
export class EmbedderUnavailableError extends Error {
  override name = 'EmbedderUnavailableError';
}

export interface EmbedderRegistryDeps {
  /** The configured embedder: it serves its own model and is the model of the first space. */
  configured: Embedder;
  /** The local model's name and its embedder, made on first use when not the configured one. */
  local: { model: string; create: () => LocalEmbedder };
  /** The OpenAI-compatible endpoint, when AI_BASE_URL is set. */
  remote:
    | {
        embedderFor(model: string, dimensions: number): Embedder;
        dimensionsOf(model: string): Promise<number>;
      }
    | undefined;
}

/**
 * Which embedder serves a model: the local model name → the local embedder, any other name → the
 * OpenAI-compatible endpoint with that model. One embedder per (model, dimensions), kept for the process.
 */
export function createEmbedderRegistry(deps: EmbedderRegistryDeps) {
  const byKey = new Map<string, Embedder>();
  const key = (model: string, dims: number) => `${model}\u0000${dims}`;
  byKey.set(key(deps.configured.model, deps.configured.dimensions), deps.configured);
  let createdLocal: LocalEmbedder | undefined;

  function local(): Embedder {
    const existing = [...byKey.values()].find((e) => e.model === deps.local.model);
    if (existing) return existing;
    createdLocal = deps.local.create();
    byKey.set(key(createdLocal.model, createdLocal.dimensions), createdLocal);
    return createdLocal;
  }

  const noEndpoint = (model: string) =>
    new EmbedderUnavailableError(
      `Model "${model}" is not the local model (${deps.local.model}) and no OpenAI-compatible embeddings ` +
        'endpoint is configured (AI_BASE_URL).',
    );

  const registry = {
    /** The embedder of a stored space; throws EmbedderUnavailableError when this process cannot serve it. */
    forSpace(space: { model: string; dims: number }): Embedder {
      const found = byKey.get(key(space.model, space.dims));
      if (found) return found;
      if (space.model === deps.local.model) {
        const embedder = local();
        if (embedder.dimensions !== space.dims) throw dimensionsMismatch(space.model, embedder.dimensions);
        return embedder;
      }
      if (!deps.remote) throw noEndpoint(space.model);
      const embedder = deps.remote.embedderFor(space.model, space.dims);
      byKey.set(key(space.model, space.dims), embedder);
      return embedder;
    },

    /**
     * The embedder for a model someone asked to switch to, proven by embedding a probe: its dimensions are
     * the given ones, or what the endpoint answers with.
     */
    async resolve(model: string, dims?: number): Promise<Embedder> {
      if (model === deps.local.model) {
        const embedder = local();
        if (dims !== undefined && dims !== embedder.dimensions)
          throw dimensionsMismatch(model, embedder.dimensions);
        return embedder;
      }
      if (!deps.remote) throw noEndpoint(model);
      const endpoint = deps.remote;
      try {
        const size = dims ?? (await endpoint.dimensionsOf(model));
        const embedder = registry.forSpace({ model, dims: size });
        await embedder.embed(['dimension probe'], { task: 'probe' });
        return embedder;
      } catch (error) {
        if (error instanceof EmbedderUnavailableError) throw error;
        throw new EmbedderUnavailableError(
          `The embeddings endpoint did not embed with model "${model}": ${(error as Error).message}`,
        );
      }
    },

    async close(): Promise<void> {
      await createdLocal?.close();
    },
  };
  return registry;
}

export type EmbedderRegistry = ReturnType<typeof createEmbedderRegistry>;

function dimensionsMismatch(model: string, dimensions: number) {
  return new EmbedderUnavailableError(`Model "${model}" makes vectors of ${dimensions} dimensions.`);
}

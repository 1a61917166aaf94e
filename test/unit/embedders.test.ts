import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/platform/ai/embedder.ts';
import { createEmbedderRegistry, EmbedderUnavailableError } from '../../src/platform/ai/embedders.ts';
import type { LocalEmbedder } from '../../src/platform/ai/local-embedder.ts';

// Which embedder serves a model: the local model name → the local embedder, any other → the endpoint.
const embedder = (model: string, dimensions: number, calls: string[][] = []): Embedder => ({
  model,
  dimensions,
  async embed(texts) {
    calls.push(texts);
    return { vectors: texts.map(() => Array.from({ length: dimensions }, () => 0.5)), tokens: 1 };
  },
});

function registry(remote: boolean) {
  const made: string[] = [];
  const local = {
    ...embedder('local-model', 100),
    state: 'ready' as const,
    ready: async () => {},
    close: async () => {},
  };
  return {
    made,
    registry: createEmbedderRegistry({
      configured: embedder('configured', 8),
      local: { model: 'local-model', create: (): LocalEmbedder => local },
      remote: remote
        ? {
            embedderFor: (model, dimensions) => {
              made.push(`${model}/${dimensions}`);
              return embedder(model, dimensions);
            },
            dimensionsOf: async (model) => (model === 'missing' ? Promise.reject(new Error('404')) : 16),
          }
        : undefined,
    }),
  };
}

describe('embedder registry', () => {
  it('serves the configured model with the configured embedder and makes one embedder per other model', () => {
    const { registry: r, made } = registry(true);
    expect(r.forSpace({ model: 'configured', dims: 8 }).model).toBe('configured');
    const other = r.forSpace({ model: 'other', dims: 32 });
    expect(r.forSpace({ model: 'other', dims: 32 })).toBe(other);
    expect(made).toEqual(['other/32']);
    expect(r.forSpace({ model: 'local-model', dims: 100 }).dimensions).toBe(100);
  });

  it('resolves a model to switch to: dimensions from a probe unless given, and clear refusals', async () => {
    const { registry: r } = registry(true);
    expect((await r.resolve('fresh')).dimensions).toBe(16);
    expect((await r.resolve('fresh', 24)).dimensions).toBe(24);
    await expect(r.resolve('missing')).rejects.toThrow(/did not embed with model "missing": 404/);
    await expect(r.resolve('local-model', 300)).rejects.toThrow('makes vectors of 100 dimensions');

    const offline = registry(false).registry;
    await expect(offline.resolve('text-embedding-3-small')).rejects.toBeInstanceOf(EmbedderUnavailableError);
    expect(() => offline.forSpace({ model: 'text-embedding-3-small', dims: 1536 })).toThrow(/AI_BASE_URL/);
    expect((await offline.resolve('local-model')).model).toBe('local-model');
  });
});

import type { BlobStorage } from '../../platform/storage/blob-storage.ts';

const MAX_CACHED = 10_000;

/**
 * Signed GET URLs for photos, for a whole page at once: the keys not cached are signed in one storage call.
 * A URL is reused for half its lifetime, so a cached one always has at least the other half left. Visibility
 * is decided before a key reaches here; the cache only saves signing.
 */
export function createPhotoUrls(deps: {
  storage: Pick<BlobStorage, 'signedGetUrls'>;
  ttlSeconds: number;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const cached = new Map<string, { url: string; reuseUntil: number }>();

  return {
    async sign(keys: readonly string[]): Promise<Map<string, string>> {
      const at = now();
      const urls = new Map<string, string>();
      const missing: string[] = [];
      for (const key of new Set(keys)) {
        const hit = cached.get(key);
        if (hit && hit.reuseUntil > at) urls.set(key, hit.url);
        else missing.push(key);
      }
      if (missing.length === 0) return urls;
      const signed = await deps.storage.signedGetUrls(missing, deps.ttlSeconds);
      const reuseUntil = at + (deps.ttlSeconds * 1000) / 2;
      for (const [i, key] of missing.entries()) {
        urls.set(key, signed[i]!);
        cached.delete(key);
        cached.set(key, { url: signed[i]!, reuseUntil });
      }
      // Oldest first (insertion order): the map never holds more than MAX_CACHED URLs.
      for (const key of cached.keys()) {
        if (cached.size <= MAX_CACHED) break;
        cached.delete(key);
      }
      return urls;
    },
  };
}

export type PhotoUrls = ReturnType<typeof createPhotoUrls>;

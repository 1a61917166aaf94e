export interface CacheNamespaceSpec {
  /** How long an entry is served fresh (from the replaced apps, DESIGN §8). */
  ttlMs: number;
  /**
   * The entry helps decide who may see what. A process's memory copy is invalidated by other processes only
   * eventually (Redis bus), so in fleet mode it lives in memory at most GUARDED_L1_TTL_MS; it is never served
   * stale, and it is invalidated by key (tags are themselves remembered in each process's memory).
   */
  guardsAccess: boolean;
  description: string;
}

const MINUTE = 60_000;

/** Every cache namespace: the only place their names, and the shape of their stored keys, are spelled. */
export const CACHE_NAMESPACES = {
  documentMeta: {
    ttlMs: 30 * MINUTE,
    guardsAccess: false,
    description: 'document metadata; tag doc:<id> (update, delete, status change)',
  },
  libraryPage: {
    ttlMs: MINUTE,
    guardsAccess: false,
    description: 'story and document list pages; tag owner:<id> (any write of the owner)',
  },
  tagCounts: { ttlMs: 5 * MINUTE, guardsAccess: false, description: 'tag counts; tag changes' },
  user: {
    ttlMs: 60 * MINUTE,
    guardsAccess: true,
    description: 'user by id and by provider id; deleted by key on user update',
  },
  embedding: {
    ttlMs: 24 * 60 * MINUTE,
    guardsAccess: false,
    description: 'embedding-exists and query embeddings; the space id is part of the key',
  },
  aiOutput: {
    ttlMs: 60 * MINUTE,
    guardsAccess: false,
    description: 'AI outputs per requesting user; prompt-template and schema versions are part of the key',
  },
  textOps: {
    ttlMs: 30 * MINUTE,
    guardsAccess: false,
    description:
      'text operation answers per requesting user; the prompt version and model are part of the key',
  },
  templates: { ttlMs: 10 * MINUTE, guardsAccess: false, description: 'templates and themes; admin changes' },
  conceptWalk: {
    ttlMs: 10 * MINUTE,
    guardsAccess: false,
    description:
      "a course's concept walk per depth and limit; the course's generation and last update are part of the key",
  },
  feedFirstPage: {
    ttlMs: 15_000,
    guardsAccess: true,
    description: "post ids of a user's first feed page; deleted by key on privacy changes",
  },
} as const satisfies Record<string, CacheNamespaceSpec>;

export type CacheNamespace = keyof typeof CACHE_NAMESPACES;

export const CACHE_NAMESPACE_NAMES = Object.keys(CACHE_NAMESPACES) as CacheNamespace[];

/** The longest an access-guarding entry lives in one process's memory in fleet mode (DESIGN §8). */
export const GUARDED_L1_TTL_MS = 5_000;

export function storedKey(ns: CacheNamespace, key: string): string {
  return `${ns}:${key}`;
}

export function isAccessGuardedKey(stored: string): boolean {
  const [ns = ''] = stored.split(':', 1);
  return Object.hasOwn(CACHE_NAMESPACES, ns) && CACHE_NAMESPACES[ns as CacheNamespace].guardsAccess;
}

/** Tags in an access-guarding namespace are a programming error (CacheNamespaceSpec says why). */
export function assertTaggable(ns: CacheNamespace, tags: string[] | undefined): void {
  if (tags?.length && CACHE_NAMESPACES[ns].guardsAccess)
    throw new TypeError(`Cache namespace ${ns} guards access: invalidate it by key, not by tags`);
}

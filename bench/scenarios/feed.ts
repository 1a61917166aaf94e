import { NAIVE_FEED_PATH } from '../baselines/feed-paths.ts';
import type { DatasetSpec } from '../lib/data-dir.ts';
import type { ServerSpec } from '../lib/servers.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario } from './scenario.ts';

/**
 * `medium` makes demo1, demo2 and demo3 hubs of the seeded social graph with 2,000, 200 and 10 connections
 * (src/cli/seed/social-plan.ts); each feed holds their connections' posts over eight weeks.
 */
export const FEED_DATASET: DatasetSpec = { kind: 'seeded', scale: 'medium' };
export const FEED_USERS = { 10: 3, 200: 2, 2000: 1 } as const;
const PAGE = 20;
const FEED_PATH = `/api/v1/feed?limit=${PAGE}`;

const cached: ServerSpec = { kind: 'lectern', dataset: FEED_DATASET };
/** Also the post-fanout server: with the cache off, a poll of a feed sees new entries at once. */
export const FEED_UNCACHED: ServerSpec = { kind: 'lectern', dataset: FEED_DATASET, env: { CACHE: 'off' } };

const CACHED_NOTE = 'cache on: the first page from the per-user cache after the warm-up';

function feedScenario<const N extends string>(
  name: N,
  connections: keyof typeof FEED_USERS,
  server: ServerSpec,
  how: string,
) {
  return defineScenario({
    name,
    description: `GET ${FEED_PATH} as demo${FEED_USERS[connections]} (${connections} connections), ${how}.`,
    server,
    async setup({ baseUrl, signal }) {
      return { path: FEED_PATH, headers: await signInSeeded(baseUrl, signal, FEED_USERS[connections]) };
    },
  });
}

export const feed10 = feedScenario('feed-10', 10, cached, CACHED_NOTE);
export const feed200 = feedScenario('feed-200', 200, cached, CACHED_NOTE);
export const feed2000 = feedScenario('feed-2000', 2000, cached, CACHED_NOTE);
export const feed10Uncached = feedScenario('feed-10-uncached', 10, FEED_UNCACHED, 'CACHE=off');
export const feed200Uncached = feedScenario('feed-200-uncached', 200, FEED_UNCACHED, 'CACHE=off');
export const feed2000Uncached = feedScenario('feed-2000-uncached', 2000, FEED_UNCACHED, 'CACHE=off');

export const feed2000Naive = defineScenario({
  name: 'feed-2000-naive',
  description:
    `The N+1 baseline (bench/baselines/feed-naive.ts: one query for the page, then author, photos, comment ` +
    `count and the viewer's comment per post) for demo1's first ${PAGE} posts, same authentication, presenter ` +
    `and schema, CACHE=off.`,
  server: { ...FEED_UNCACHED, entry: 'bench/baselines/feed-naive-server.ts' },
  async setup({ baseUrl, signal }) {
    return { path: `${NAIVE_FEED_PATH}?limit=${PAGE}`, headers: await signInSeeded(baseUrl, signal, 1) };
  },
});

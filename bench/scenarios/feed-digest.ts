import { FEED_DATASET, FEED_USERS } from './feed.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario } from './scenario.ts';

const DAY_MS = 24 * 60 * 60_000;

/**
 * `GET /api/v1/digest` over the day before setup (the same `since` for every request): about 75 posts for demo1,
 * 10 for demo2 and 1 for demo3 on the seeded graph. No AI model is configured, so the summary is extractive; it
 * is cached by input hash after the first request, the posts and counts are read every time.
 */
function digestScenario<const N extends string>(name: N, connections: keyof typeof FEED_USERS) {
  const user = FEED_USERS[connections];
  return defineScenario({
    name,
    description: `GET /api/v1/digest?since=<a day before setup> as demo${user} (${connections} connections), cache on.`,
    server: { kind: 'lectern', dataset: FEED_DATASET },
    async setup({ baseUrl, signal }) {
      const since = new Date(Date.now() - DAY_MS).toISOString();
      return {
        path: `/api/v1/digest?since=${encodeURIComponent(since)}`,
        headers: await signInSeeded(baseUrl, signal, user),
      };
    },
  });
}

export const digest10 = digestScenario('digest-10', 10);
export const digest200 = digestScenario('digest-200', 200);
export const digest2000 = digestScenario('digest-2000', 2000);

import { me } from './me.ts';
import { defineScenario } from './scenario.ts';

/** Far above what this machine serves in a minute: the limiter counts every request and never refuses one. */
const NEVER_TRIPS = '1000000000';

export const meRateLimited = defineScenario({
  name: 'me-rate-limited',
  description:
    'GET /api/v1/me with the request limiter on (RATE_LIMIT=on, a per-user limit never reached): ' +
    'its overhead against `me` (in memory embedded, in Redis in fleet mode).',
  server: {
    kind: 'lectern',
    dataset: { kind: 'empty' },
    env: {
      RATE_LIMIT: 'on',
      RATE_LIMIT_USER_PER_MINUTE: NEVER_TRIPS,
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: NEVER_TRIPS,
    },
  },
  setup: me.setup,
});

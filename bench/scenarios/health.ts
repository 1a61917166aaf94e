import { defineScenario } from './scenario.ts';

export const health = defineScenario({
  name: 'health',
  description: 'GET /health on Lectern: the full HTTP platform (hooks, headers, logging), no database.',
  server: { kind: 'lectern', dataset: { kind: 'empty' } },
  setup: async () => ({ path: '/health' }),
});

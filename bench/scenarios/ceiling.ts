import { defineScenario } from './scenario.ts';

export const ceiling = defineScenario({
  name: 'ceiling',
  description: 'Bare Fastify 5 returning a small JSON object: the most this machine can serve.',
  server: { kind: 'ceiling' },
  setup: async () => ({ path: '/' }),
});

import { defineConfig } from 'vitest/config';

// Projects: the same integration suites run once on PGlite and once on PostgreSQL 15 + Redis (fleet mode).
// Fault tests (which kill and restart their own servers) run after those, one file at a time; timing
// assertions run last, alone, so nothing else competes for the two cores.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/arch/**/*.test.ts', 'test/harness/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'pglite',
          include: ['test/integration/**/*.test.ts'],
          env: { LECTERN_TEST_ENGINE: 'pglite' },
        },
      },
      {
        test: {
          name: 'postgres',
          include: ['test/integration/**/*.test.ts'],
          env: { LECTERN_TEST_ENGINE: 'postgres' },
        },
      },
      // One suite per port, run against each adapter (in-process and fleet).
      { test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      {
        test: {
          name: 'fault',
          include: ['test/fault/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'timing',
          include: ['test/timing/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});

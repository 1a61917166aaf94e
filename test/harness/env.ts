/** What test/run.ts started for this run, handed to every test worker through the environment. */
export function testEnv() {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value)
      throw new Error(
        `${name} is not set: run the suite with \`npm test\` (test/run.ts starts the servers).`,
      );
    return value;
  };
  return {
    engine: (process.env.LECTERN_TEST_ENGINE ?? 'pglite') as 'pglite' | 'postgres',
    postgresUrl: () => need('LECTERN_TEST_POSTGRES_URL'),
    redisUrl: () => need('LECTERN_TEST_REDIS_URL'),
    pgliteTemplate: () => need('LECTERN_TEST_PGLITE_TEMPLATE'),
  };
}

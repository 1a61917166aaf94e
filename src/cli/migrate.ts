import { runCommand, start } from './startup.ts';

export function migrateCommand(): Promise<number> {
  return runCommand(async () => {
    const { deps, release } = await start({ migrate: true });
    const vector = deps.vector.enabled
      ? `pgvector ${deps.vector.version}`
      : `vector search off (${deps.vector.reason})`;
    process.stdout.write(`Migrations applied on ${deps.database.engine}; ${vector}.\n`);
    await deps.close();
    await release();
    return 0;
  });
}

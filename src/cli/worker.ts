import closeWithGrace from 'close-with-grace';
import { readConfig, runCommand, start } from './startup.ts';

/** Fleet job workers. In embedded mode `serve` runs the workers in-process, so this refuses. */
export function worker(): Promise<number> {
  return runCommand(async () => {
    if (readConfig().mode === 'embedded') {
      process.stderr.write(
        'lectern: `worker` is for fleet mode (DATABASE_URL and REDIS_URL set). In embedded mode `lectern serve` runs the workers.\n',
      );
      return 1;
    }
    const { deps, release } = await start({ migrate: false });
    await deps.startBackground({ workers: true });
    deps.logger.info({ concurrency: deps.config.jobs.workerConcurrency }, 'worker started');
    await new Promise<void>((resolve) => {
      closeWithGrace({ delay: deps.config.http.shutdownTimeoutMs, logger: deps.logger }, async () => {
        await deps.close();
        await release();
        resolve();
      });
    });
    return 0;
  });
}

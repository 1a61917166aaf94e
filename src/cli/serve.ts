import closeWithGrace from 'close-with-grace';
import { buildApp } from '../app.ts';
import { runCommand, start } from './startup.ts';

export function serve(): Promise<number> {
  return runCommand(async () => {
    const startedAt = performance.now();
    const { deps, release } = await start({ migrate: true });
    const { config, logger } = deps;
    const app = await buildApp(deps);
    await app.listen({ host: config.host, port: config.port });
    // Embedded: this process is the whole deployment, workers included. Fleet: `lectern worker` runs jobs.
    await deps.startBackground({ workers: config.mode === 'embedded' });

    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      {
        mode: config.mode,
        engine: deps.database.engine,
        host: config.host,
        port,
        startupMs: Math.round(performance.now() - startedAt),
      },
      `Lectern listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
    );

    await new Promise<void>((resolve) => {
      closeWithGrace({ delay: config.http.shutdownTimeoutMs, logger }, async ({ signal, err }) => {
        const closingAt = performance.now();
        if (err) logger.error({ err }, 'closing after an unexpected error');
        logger.info({ signal }, 'shutting down');
        await app.close();
        await deps.close();
        await release();
        logger.info({ shutdownMs: Math.round(performance.now() - closingAt) }, 'stopped');
        resolve();
      });
    });
    return 0;
  });
}

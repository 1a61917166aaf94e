// Lectern (`serve`, embedded) with one more route: GET /api/v1/bench/naive-documents answers the library page
// the way the replaced apps did (bench/baselines/library-list.ts: one query for the page, one per document for
// its tags), through the same authentication, presenter and response schema as GET /api/v1/documents. The
// `library-list-naive` benchmark scenario starts this file instead of `bin/lectern.js serve`.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { start } from '../../src/cli/startup.ts';
import { presentDocument } from '../../src/modules/documents/documents.presenter.ts';
import { DocumentPage } from '../../src/modules/documents/documents.schema.ts';
import { NAIVE_LIBRARY_PATH } from './library-list-paths.ts';
import { listLibraryNaive } from './library-list.ts';

const { deps, release } = await start({ migrate: true });
const app: FastifyInstance = await buildApp(deps);
await app.register(async (scope) => {
  scope.addHook('onRequest', deps.authenticate);
  scope.get<{ Querystring: { limit?: string } }>(
    NAIVE_LIBRARY_PATH,
    { schema: { response: { 200: DocumentPage } } },
    async (request) => {
      const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 50) || 50));
      const rows = await listLibraryNaive(deps.database.db, request.actor.id, limit);
      return { items: rows.map((row) => presentDocument(row)), nextCursor: null };
    },
  );
});
await app.listen({ host: deps.config.host, port: deps.config.port });
await deps.startBackground({ workers: true });

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  await deps.close();
  await release();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

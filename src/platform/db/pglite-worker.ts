// Runs in a worker thread and owns the PGlite instance: PGlite blocks the thread it runs on for the
// whole of every statement, so it must never share the event loop that serves HTTP.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { pgDump } from '@electric-sql/pglite-tools';
import { parentPort, workerData } from 'node:worker_threads';
import type { PgliteReply, PgliteRequest, PgliteWorkerData, SerializedDbError } from './pglite-protocol.ts';

const { dataDir } = workerData as PgliteWorkerData;
const port = parentPort!;
const pg = new PGlite(dataDir, { extensions: { vector } });

async function handle(request: PgliteRequest): Promise<unknown> {
  await pg.waitReady;
  switch (request.op) {
    case 'query':
      // Like node-postgres, a statement without parameters goes through the simple query protocol,
      // which accepts several statements (migrations are scripts).
      if (request.params.length === 0) {
        const results = await pg.exec(request.sql);
        return results.at(-1) ?? { rows: [], fields: [], affectedRows: 0 };
      }
      return await pg.query(request.sql, request.params, { rowMode: 'object' });
    case 'dump':
      return await (await pgDump({ pg, args: ['--inserts', '--no-owner'] })).text();
    case 'close':
      await pg.close();
      return null;
  }
}

function serializeError(error: unknown): SerializedDbError {
  const e = error as Record<string, unknown>;
  const pick = (k: string) => {
    const value = e[k];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    message: error instanceof Error ? error.message : String(error),
    code: pick('code'),
    detail: pick('detail'),
    constraint: pick('constraint'),
    table: pick('table'),
    column: pick('column'),
  };
}

port.on('message', (request: PgliteRequest) => {
  const started = performance.now();
  const ms = () => performance.now() - started;
  handle(request).then(
    (result) => port.postMessage({ id: request.id, ok: true, result, ms: ms() } satisfies PgliteReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        error: serializeError(error),
        ms: ms(),
      } satisfies PgliteReply),
  );
});

import type { SpaceView } from '../modules/embeddings/index.ts';
import { DataDirLockedError } from '../platform/data-dir/data-dir.ts';
import { AppError } from '../platform/errors.ts';
import { readConfig, runCommand, start } from './startup.ts';

const USAGE = 'usage: lectern embeddings use <model> [--dims N] | lectern embeddings status';

/**
 * `lectern embeddings use <model> [--dims N]`: starts a switch of the embedding model (a building space; the
 * re-embed runs in the workers: on the next `serve` in embedded mode, in `lectern worker` processes in fleet
 * mode). `lectern embeddings status`: the spaces and their progress.
 */
export function embeddings(args: string[], options: { dims?: string | undefined }): Promise<number> {
  return runCommand(async () => {
    const [action, model] = args;
    const dims = options.dims === undefined ? undefined : Number(options.dims);
    if (dims !== undefined && !(Number.isInteger(dims) && dims >= 1 && dims <= 16000)) {
      return fail('--dims must be a whole number from 1 to 16000.', 2);
    }
    if (!(action === 'status' || (action === 'use' && model))) return fail(USAGE, 2);

    const embedded = readConfig().mode === 'embedded';
    let started: Awaited<ReturnType<typeof start>>;
    try {
      // Fleet: the serve processes migrate; this one only writes the space (the outbox starts its job).
      started = await start({ migrate: embedded });
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      return fail(
        `${error.message}\nA running Lectern holds the data dir: switch through its admin API instead, ` +
          `POST /api/v1/admin/embeddings/spaces {"model": "${model ?? '<model>'}"} (GET lists the spaces).`,
      );
    }
    const { deps, release } = started;
    try {
      if (action === 'status') {
        process.stdout.write(statusTable(await deps.embeddingSpaces.list()));
        return 0;
      }
      const space = await deps.embeddingSpaces.requestSwitch({ model: model!, dims });
      process.stdout.write(
        `Space ${space.id} (${space.model}, ${space.dims} dimensions) is building: ${space.progress.total} chunks ` +
          'to re-embed. Searches use the active space until it is complete. ' +
          (embedded
            ? 'The re-embed runs when `lectern serve` starts.\n'
            : 'A `lectern worker` process runs the re-embed.\n'),
      );
      return 0;
    } catch (error) {
      if (error instanceof AppError && error.status < 500) return fail(error.detail);
      throw error;
    } finally {
      await deps.close();
      await release();
    }
  });
}

function fail(message: string, code = 1): number {
  process.stderr.write(`lectern embeddings: ${message}\n`);
  return code;
}

function statusTable(spaces: SpaceView[]): string {
  if (spaces.length === 0) return 'No embedding spaces yet: the first document embedded creates one.\n';
  const rows = spaces.map((s) => [
    String(s.id),
    s.model,
    String(s.dims),
    s.state,
    `${s.progress.embedded}/${s.progress.total}`,
    s.error ?? '',
  ]);
  const header = ['id', 'model', 'dims', 'state', 'chunks', 'error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

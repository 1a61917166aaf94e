import type { DocumentProgress } from './ingest-pipeline.ts';

const POLL_MS = 2_000;
const TERMINAL = new Set(['ready', 'failed']);

/**
 * A document's progress as a sequence: a snapshot first, then each change, then `ready` or `failed` last.
 * Changes arrive through pub/sub (fast, but lossy when Redis blips), and a slow poll of the database makes
 * sure the last event is never missed.
 */
export async function followProgress(deps: {
  read: () => Promise<DocumentProgress>;
  subscribe: (listener: () => void) => Promise<() => Promise<void>>;
  emit: (event: 'snapshot' | 'progress' | 'ready' | 'failed', progress: DocumentProgress) => void;
  /** Resolves when the client went away. */
  closed: Promise<void>;
}): Promise<void> {
  let last: string | undefined;
  let finished = false;
  let checking = Promise.resolve();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const check = () => {
    checking = checking.then(async () => {
      if (finished) return;
      const progress = await deps.read().catch(() => undefined);
      if (!progress) return;
      const key = JSON.stringify(progress);
      if (key === last) return;
      const first = last === undefined;
      last = key;
      if (first) deps.emit('snapshot', progress);
      else if (!TERMINAL.has(progress.status)) deps.emit('progress', progress);
      if (TERMINAL.has(progress.status)) {
        deps.emit(progress.status as 'ready' | 'failed', progress);
        finished = true;
        finish();
      }
    });
    return checking;
  };

  // Subscribe before the snapshot, so nothing between the two is lost.
  const unsubscribe = await deps.subscribe(() => void check()).catch(() => async () => {});
  const poll = setInterval(() => void check(), POLL_MS);
  try {
    await check();
    await Promise.race([done, deps.closed]);
  } finally {
    clearInterval(poll);
    await unsubscribe().catch(() => undefined);
  }
}

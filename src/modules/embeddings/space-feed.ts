import type { SpaceView } from './embeddings.service.ts';

const POLL_MS = 2_000;

export type SpaceEvent = 'snapshot' | 'progress' | 'active' | 'failed' | 'retired';

/**
 * A space's re-embed as a sequence: a snapshot first, then each change of progress, then `active`, `failed` or
 * `retired` last. Changes arrive through pub/sub (fast, lossy when Redis blips); a slow poll of the database
 * makes sure the last event is never missed.
 */
export async function followSpace(deps: {
  read: () => Promise<SpaceView | undefined>;
  subscribe: (listener: () => void) => Promise<() => Promise<void>>;
  emit: (event: SpaceEvent, space: SpaceView) => void;
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
      const space = await deps.read().catch(() => undefined);
      if (!space) return;
      const key = JSON.stringify([space.state, space.progress, space.error]);
      if (key === last) return;
      const first = last === undefined;
      last = key;
      if (first) deps.emit('snapshot', space);
      if (space.state === 'building') {
        if (!first) deps.emit('progress', space);
        return;
      }
      deps.emit(space.state, space);
      finished = true;
      finish();
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

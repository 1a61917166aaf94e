const POLL_MS = 2_000;

export interface FollowStateDeps<T, E extends string> {
  /** The current state; undefined (or a throw) skips this round. */
  read: () => Promise<T | undefined>;
  subscribe: (listener: () => void) => Promise<() => Promise<void>>;
  /** What makes two states different (default: the whole state as JSON). */
  key?: (state: T) => string;
  /** The final event for a state that will not change any more; undefined while it still moves. */
  terminal: (state: T) => E | undefined;
  emit: (event: 'snapshot' | 'progress' | E, state: T) => void;
  /** Resolves when the client went away. */
  closed: Promise<void>;
}

/**
 * Long work's state as a sequence: `snapshot` first, then `progress` on each change, then the terminal event
 * last. Changes arrive through pub/sub (fast, but lossy when Redis blips); a slow poll of the database makes
 * sure the last event is never missed.
 */
export async function followState<T, E extends string>(deps: FollowStateDeps<T, E>): Promise<void> {
  const keyOf = deps.key ?? ((state: T) => JSON.stringify(state));
  let last: string | undefined;
  let finished = false;
  let checking = Promise.resolve();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const check = () => {
    checking = checking.then(async () => {
      if (finished) return;
      const state = await deps.read().catch(() => undefined);
      if (state === undefined) return;
      const key = keyOf(state);
      if (key === last) return;
      const first = last === undefined;
      last = key;
      const end = deps.terminal(state);
      if (first) deps.emit('snapshot', state);
      else if (end === undefined) deps.emit('progress', state);
      if (end !== undefined) {
        deps.emit(end, state);
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

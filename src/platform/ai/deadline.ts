import { toAiError } from './upstream-errors.ts';

/**
 * An overall deadline for one upstream call, retries and response body included, combined with the caller's
 * signal. The SDK's own `timeout` restarts on every retry and does not bound a stream that trickles forever.
 */
export function startDeadline(ms: number, caller: AbortSignal | undefined) {
  const timer = new AbortController();
  const handle = setTimeout(() => timer.abort(), ms);
  return {
    ms,
    caller,
    signal: caller ? AbortSignal.any([timer.signal, caller]) : timer.signal,
    get expired(): boolean {
      return timer.signal.aborted;
    },
    clear: () => clearTimeout(handle),
  };
}

export type Deadline = ReturnType<typeof startDeadline>;

/** Runs one upstream call under a deadline and maps whatever it throws to an AI error. */
export async function withDeadline<T>(
  ms: number,
  caller: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = startDeadline(ms, caller);
  try {
    return await call(deadline.signal);
  } catch (error) {
    throw toAiError(error, deadline);
  } finally {
    deadline.clear();
  }
}

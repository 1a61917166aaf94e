import autocannon from 'autocannon';
import type { Instance, Result } from 'autocannon';
import type { LoadTarget } from '../scenarios/scenario.ts';
import { LatencyHistogram } from './histogram.ts';

/** Request cap per measured second: far above what 2 cores serve, so it only stops a runaway loop. */
const MAX_REQUESTS_PER_SECOND = 200_000;
/** If autocannon has not stopped by itself this long after its duration, stop it. */
const OVERRUN_MS = 15_000;

export interface LoadResult {
  reqPerSec: number;
  latencyMs: ReturnType<LatencyHistogram['summary']>;
  requests: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Mean bytes per response as read off the socket (headers included; compressed when the server compressed). */
  bytesPerResponse: number;
  durationSec: number;
  /** True when the request cap, not the duration, ended the run. */
  capped: boolean;
}

export async function runLoad(
  baseUrl: string,
  target: LoadTarget,
  options: { durationSec: number; connections: number; signal: AbortSignal },
): Promise<LoadResult> {
  const { durationSec, connections, signal } = options;
  signal.throwIfAborted();
  if (!baseUrl.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${baseUrl}: loopback only`);
  const cap = Math.max(connections, durationSec * MAX_REQUESTS_PER_SECOND);
  const histogram = new LatencyHistogram();
  let responses = 0;
  let bytes = 0;

  const result = await new Promise<Result>((resolve, reject) => {
    const stop = () => instance.stop(); // only ever called asynchronously, after `instance` is set
    const overrun = setTimeout(stop, durationSec * 1000 + OVERRUN_MS);
    signal.addEventListener('abort', stop, { once: true });
    const done = (error: unknown, res: Result) => {
      clearTimeout(overrun);
      signal.removeEventListener('abort', stop);
      if (error) reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }));
      else resolve(res);
    };
    const instance: Instance = autocannon(
      {
        url: baseUrl + target.path,
        method: target.method ?? 'GET',
        headers: target.headers ?? {},
        body: target.body,
        connections,
        duration: durationSec,
        maxOverallRequests: cap, // unlike `amount`, keeps the duration timer running
        ...(target.nextPath && {
          requests: [{ setupRequest: (request) => ({ ...request, path: target.nextPath!() }) }],
        }),
      },
      done,
    );
    instance.on('response', (_client: unknown, _status: number, responseBytes: number, ms: number) => {
      histogram.record(ms);
      responses++;
      bytes += responseBytes;
    });
  });
  signal.throwIfAborted();

  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    reqPerSec: result.requests.mean,
    latencyMs: histogram.summary(),
    requests: result.requests.total,
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: responses > 0 ? bytes / responses : 0,
    durationSec: result.duration,
    capped: result.requests.total >= cap,
  };
}

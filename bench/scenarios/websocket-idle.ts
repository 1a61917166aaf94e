import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { defineTimedScenario, type Measurement } from './scenario.ts';

/** Steps of open sockets; the last ones are cut to what the file-descriptor limit leaves. */
const STEPS = [1_000, 2_000, 5_000, 10_000, 20_000, 40_000];
/** Descriptors the server needs besides sockets (data files, pipes, the listener) and a margin. */
const FD_HEADROOM = 1_000;
/** The server counts as holding a step's sockets while its event-loop delay p99 stays under this. */
const P99_LIMIT_MS = 50;
/**
 * Steps go on past a window over the limit (a noisy neighbour can cause one) until p99 reaches this: the figure
 * reported is the largest step under the limit.
 */
const P99_GIVE_UP_MS = 2 * P99_LIMIT_MS;
/** Each window holds a whole ping round of every socket (WS_PING_INTERVAL_MS below). */
const PING_INTERVAL_MS = 5_000;
const WINDOW_MS = 6_000;
const SETTLE_MS = 1_000;
const USERS = 20;
const OPENING_AT_ONCE = 200;
/** Opening and sampling end within this; closing takes at most CLOSE_GRACE_MS more: under two minutes. */
const BUDGET_MS = 100_000;
/** A sample's two /metrics reads can take seconds on a busy machine. */
const SAMPLE_MS = SETTLE_MS + WINDOW_MS + 4_000;
const CLOSE_GRACE_MS = 10_000;

interface Sample {
  connections: number;
  p99Ms: number;
  maxMs: number;
  rssBytes: number;
}

/** This process' open-files limit (Linux; 1,024 elsewhere); the server, started by it, inherits the same. */
function fileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : 1024;
  } catch {
    return 1024;
  }
}

async function register(baseUrl: string, email: string, signal: AbortSignal) {
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench-password-1' }),
    signal,
  });
  if (response.status !== 201)
    throw new Error(`register returned ${response.status}: ${await response.text()}`);
  const { user, tokens } = (await response.json()) as {
    user: { id: string };
    tokens: { accessToken: string };
  };
  return { id: user.id, token: tokens.accessToken };
}

/**
 * Opens an authenticated socket (added to `opened` at once, so it is closed whatever happens) and subscribes it to
 * its user's channel; resolves on the ack.
 */
function openSubscribed(baseUrl: string, user: { id: string; token: string }, opened: WebSocket[]) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(user.token)}`;
  const socket = new WebSocket(url, { perMessageDeflate: false });
  opened.push(socket);
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed with ${code} before the subscription`)));
    socket.once('open', () => socket.send(JSON.stringify({ op: 'sub', ch: `user:${user.id}`, id: 1 })));
    socket.once('message', (data: Buffer) => {
      const text = data.toString();
      if ((JSON.parse(text) as { op: string }).op === 'ack') resolve();
      else reject(new Error(`subscribe answered ${text}`));
    });
  });
}

/**
 * Opens sockets, a batch at a time, until `target` are open or the deadline passes; the first failure is
 * returned, not thrown.
 */
async function openUpTo(
  baseUrl: string,
  users: { id: string; token: string }[],
  sockets: WebSocket[],
  target: number,
  deadline: number,
  signal: AbortSignal,
): Promise<Error | undefined> {
  while (sockets.length < target && performance.now() < deadline) {
    signal.throwIfAborted();
    const batch = Math.min(OPENING_AT_ONCE, target - sockets.length);
    const first = sockets.length;
    const results = await Promise.allSettled(
      Array.from({ length: batch }, (_, i) =>
        openSubscribed(baseUrl, users[(first + i) % users.length]!, sockets),
      ),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) return failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return undefined;
}

/** The server's own figures, read from its Prometheus endpoint (a read resets the event-loop histogram). */
async function scrape(baseUrl: string, signal: AbortSignal) {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal })).text();
  const value = (name: string) => {
    const found = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!found) throw new Error(`/metrics has no ${name}`);
    return Number(found[1]);
  };
  return {
    p99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    maxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    rssBytes: value('process_resident_memory_bytes'),
    connections: value('lectern_ws_connections'),
  };
}

/** Event-loop delay over one quiet window, the RSS after it, and the sockets the server holds then. */
async function sampleWindow(baseUrl: string, signal: AbortSignal): Promise<Sample> {
  await sleep(SETTLE_MS, undefined, { signal });
  await scrape(baseUrl, signal); // starts the window: the histogram is reset
  await sleep(WINDOW_MS, undefined, { signal });
  return scrape(baseUrl, signal);
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  const closed = sockets.map((s) =>
    s.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((r) => s.once('close', r)),
  );
  for (const socket of sockets) socket.close();
  const timer = setTimeout(() => sockets.forEach((s) => s.terminate()), CLOSE_GRACE_MS);
  await Promise.all(closed);
  clearTimeout(timer);
}

export const websocketIdle = defineTimedScenario({
  name: 'websocket-idle',
  description:
    `Idle authenticated WebSockets (GET /api/v1/ws?token=…, each subscribed to user:<id>, ${USERS} users) held ` +
    `by one embedded serve, opened in steps up to the open-files limit minus ${FD_HEADROOM}; at each step the ` +
    `server's event-loop delay p99 and max over ${WINDOW_MS / 1000} s (one ping round of every socket, ` +
    `WS_PING_INTERVAL_MS=${PING_INTERVAL_MS}) and its RSS, from /metrics.`,
  server: {
    kind: 'lectern',
    dataset: { kind: 'empty' },
    env: { WS_PING_INTERVAL_MS: String(PING_INTERVAL_MS) },
  },
  async measure({ baseUrl, runId, signal }) {
    const startedAt = performance.now();
    const limit = fileLimit() - FD_HEADROOM;
    const steps = [...STEPS.filter((n) => n < limit), limit].filter((n, i, all) => n > 0 && n !== all[i - 1]);
    const users = [];
    for (let i = 0; i < USERS; i++)
      users.push(await register(baseUrl, `bench-ws-${runId}-${i}@example.com`, signal));

    const sockets: WebSocket[] = [];
    const samples: Sample[] = [];
    let stoppedBy = `the open-files limit (${limit + FD_HEADROOM} per process)`;
    try {
      const baseline = await sampleWindow(baseUrl, signal);
      const openUntil = startedAt + BUDGET_MS - SAMPLE_MS;
      for (const target of steps) {
        const failure = await openUpTo(baseUrl, users, sockets, target, openUntil, signal);
        if (failure) {
          stoppedBy = `a failed socket (${sockets.length} attempted): ${failure.message}`;
          break;
        }
        // Past the deadline the sockets opened so far make the last step.
        const open = sockets.length;
        if (open === samples.at(-1)?.connections) {
          stoppedBy = `the time budget (${BUDGET_MS / 1000} s)`;
          break;
        }
        const sample = await sampleWindow(baseUrl, signal);
        if (sample.connections !== open) {
          stoppedBy = `the server holding ${sample.connections} of ${open} sockets`;
          break;
        }
        samples.push(sample);
        console.log(
          `websocket-idle: ${sample.connections} sockets, event-loop p99 ${sample.p99Ms.toFixed(1)} ms, ` +
            `max ${sample.maxMs.toFixed(1)} ms, RSS ${(sample.rssBytes / 2 ** 20).toFixed(0)} MiB`,
        );
        if (open < target) {
          stoppedBy = `the time budget (${BUDGET_MS / 1000} s)`;
          break;
        }
        if (sample.p99Ms >= P99_GIVE_UP_MS) {
          stoppedBy = `event-loop p99 ≥ ${P99_GIVE_UP_MS} ms`;
          break;
        }
      }
      return report(baseline, samples, stoppedBy);
    } finally {
      await closeAll(sockets);
    }
  },
});

/**
 * RSS growth per socket from the first step to the last: the empty server's RSS is no base, as it still moves
 * by hundreds of MiB in the first minute (warm-up work, then garbage collection).
 */
function rssPerSocket(samples: Sample[]): Measurement {
  const [first, last] = [samples[0], samples.at(-1)];
  const label = `RSS per socket (from ${first?.connections ?? 0} to ${last?.connections ?? 0} sockets)`;
  if (!first || !last || last === first) return { label, value: 0, unit: 'KiB' };
  const value = (last.rssBytes - first.rssBytes) / (last.connections - first.connections) / 1024;
  return { label, value, unit: 'KiB' };
}

function report(baseline: Sample, samples: Sample[], stoppedBy: string): Measurement[] {
  const within = samples.filter((s) => s.p99Ms < P99_LIMIT_MS).at(-1);
  const perStep = samples.flatMap((s) => [
    { label: `${s.connections} sockets: event-loop p99`, value: s.p99Ms, unit: 'ms' },
    { label: `${s.connections} sockets: event-loop max`, value: s.maxMs, unit: 'ms' },
    { label: `${s.connections} sockets: RSS`, value: s.rssBytes / 2 ** 20, unit: 'MiB' },
  ]);
  return [
    { label: '0 sockets: event-loop p99', value: baseline.p99Ms, unit: 'ms' },
    { label: '0 sockets: RSS', value: baseline.rssBytes / 2 ** 20, unit: 'MiB' },
    ...perStep,
    {
      label: `largest N with event-loop p99 < ${P99_LIMIT_MS} ms (stopped by ${stoppedBy})`,
      value: within?.connections ?? 0,
      unit: 'sockets',
    },
    rssPerSocket(samples),
  ];
}

// Graceful shutdown of a real `lectern serve` process: SIGTERM with idle keep-alive connections open and
// requests in flight must end the process quickly (well below SHUTDOWN_TIMEOUT_MS) with exit code 0, and
// every request the server had already accepted must get its complete response.
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  killAllProcesses,
  pollUntil,
  register,
  removeTempDirs,
  request,
  startServe,
  templateDataDir,
  uniqueEmail,
} from './serve-process.ts';

afterEach(async () => {
  await killAllProcesses();
  await removeTempDirs();
});

interface Outcome {
  /** The server answered 100 Continue: it had parsed the request and handed it to the app. */
  accepted: boolean;
  status?: number;
  contentType?: string;
  /** The response's Connection header: `keep-alive` leaves the connection open after the answer. */
  connection?: string;
  body?: string;
  error?: string;
  /** performance.now() when the outcome was known. */
  at: number;
}

/**
 * A request sent with `Expect: 100-continue`: Node's HTTP server answers 100 Continue just before it emits
 * the request to the app, so `accepted` tells from outside that the request is in the server's hands.
 * With `deferBody`, the body is sent only when send() is called, keeping the request in flight.
 */
function trackedRequest(
  url: string,
  options: { agent: http.Agent; method?: string; body?: unknown; deferBody?: boolean },
) {
  const payload = options.body === undefined ? '' : JSON.stringify(options.body);
  let accepted = false;
  let markAccepted: () => void = () => undefined;
  const acceptedPromise = new Promise<void>((resolve) => (markAccepted = resolve));
  const req = http.request(url, {
    method: options.method ?? 'GET',
    agent: options.agent,
    headers: {
      expect: '100-continue',
      ...(payload
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
        : {}),
    },
  });
  const outcome = new Promise<Outcome>((resolve) => {
    req.on('continue', () => {
      accepted = true;
      markAccepted();
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => resolve({ accepted, error: error.message, at: performance.now() }));
      res.on('end', () =>
        resolve({
          accepted,
          status: res.statusCode,
          contentType: res.headers['content-type'],
          connection: res.headers.connection,
          body,
          at: performance.now(),
        }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ accepted, error: `${error.code ?? ''} ${error.message}`, at: performance.now() }),
    );
  });
  if (!options.deferBody) req.end(payload || undefined);
  else req.flushHeaders();
  return {
    outcome,
    accepted: () => accepted,
    acceptedPromise,
    send: () => req.end(payload),
  };
}

/** A complete answer: 2xx with a JSON body, or 503 problem+json saying the process is shutting down. */
function expectCompleteResponse(outcome: Outcome, what: string) {
  expect(outcome.error, `${what}: ${outcome.error}`).toBeUndefined();
  const status = outcome.status ?? 0;
  if (status === 503) {
    expect(outcome.contentType, what).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(outcome.body ?? ''), what).toMatchObject({ status: 503, code: expect.any(String) });
  } else {
    expect(status, `${what}: ${outcome.body}`).toBeGreaterThanOrEqual(200);
    expect(status, `${what}: ${outcome.body}`).toBeLessThan(300);
    expect(() => void JSON.parse(outcome.body ?? ''), what).not.toThrow();
  }
}

/**
 * Starts serve, opens 20 keep-alive connections and leaves them idle, registers a user, then puts requests in
 * flight (5 logins whose body is still to be sent, a burst of 40 readiness probes) and sends SIGTERM as soon
 * as the server has accepted a few probes. `inFlightKeepAlive` chooses whether the in-flight requests travel
 * on keep-alive connections (what a load balancer or an HTTP client pool does) or on one-shot connections.
 */
async function shutdownScenario(label: string, inFlightKeepAlive: boolean) {
  const server = await startServe({ DATA_DIR: await templateDataDir() });
  console.log(`[e2e shutdown/${label}] serve pid ${server.pid} ready, startupMs=${server.startupMs}`);
  const email = uniqueEmail('shutdown');
  const password = 'correct horse battery';
  await register(server.url, email, password);

  const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const busyAgent = new http.Agent({ keepAlive: inFlightKeepAlive });
  try {
    // 20 keep-alive connections, left idle-but-open.
    const idleSockets = new Set<Socket>();
    const closedIdleSockets = new Set<Socket>();
    idleAgent.on('free', (socket: Socket) => {
      if (idleSockets.has(socket)) return;
      idleSockets.add(socket);
      socket.once('close', () => closedIdleSockets.add(socket));
    });
    const warmup = await Promise.all(
      Array.from({ length: 20 }, () => request(`${server.url}/health`, { agent: idleAgent })),
    );
    expect(warmup.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    await pollUntil(
      '20 idle keep-alive sockets',
      () => {
        const free = Object.values(idleAgent.freeSockets).flat().length;
        return free === 20 && idleSockets.size === 20 ? true : undefined;
      },
      5000,
      10,
    );
    expect(closedIdleSockets.size).toBe(0);

    // In flight, part 1: logins whose headers the server has accepted but whose body is still to come.
    const slow = Array.from({ length: 5 }, () =>
      trackedRequest(`${server.url}/api/v1/auth/login`, {
        agent: busyAgent,
        method: 'POST',
        body: { email, password },
        deferBody: true,
      }),
    );
    await pollUntil(
      'the slow logins to be accepted',
      () => (slow.every((s) => s.accepted()) ? true : undefined),
      10_000,
      5,
    );

    // In flight, part 2: a burst of readiness probes; SIGTERM goes out as soon as a few are accepted.
    const burst = Array.from({ length: 40 }, () =>
      trackedRequest(`${server.url}/health/ready`, { agent: busyAgent }),
    );
    await pollUntil(
      'the first readiness probes to be accepted',
      () => (burst.filter((b) => b.accepted()).length >= 5 ? true : undefined),
      10_000,
      1,
    );
    const sigtermAt = performance.now();
    const stopping = server.stop('SIGTERM', 30_000);
    await server.waitForLine((l) => l.msg === 'shutting down', 10_000);
    // Now that shutdown is under way, finish the logins.
    for (const s of slow) s.send();

    const slowOutcomes = await Promise.all(slow.map((s) => s.outcome));
    const burstOutcomes = await Promise.all(burst.map((b) => b.outcome));
    const exit = await stopping;
    const stopped = server.lines.find((l) => l.msg === 'stopped');
    const answered = [...slowOutcomes, ...burstOutcomes].filter((o) => o.status !== undefined);
    const keptAlive = answered.filter((o) => o.connection === 'keep-alive').length;
    console.log(
      `[e2e shutdown/${label}] SIGTERM → exit: ${exit.ms} ms (code ${exit.code}, signal ${exit.signal}); ` +
        `logged shutdownMs=${String(stopped?.shutdownMs)}; ` +
        `burst: ${burstOutcomes.filter((o) => o.accepted).length} accepted, ` +
        `${burstOutcomes.filter((o) => o.accepted && o.at > sigtermAt).length} of them answered after SIGTERM, ` +
        `${burstOutcomes.filter((o) => o.error).length} refused before acceptance; ` +
        `${keptAlive} of ${answered.length} in-flight answers said connection: keep-alive`,
    );

    // The logins were in the server's hands when SIGTERM arrived: each must complete.
    for (const [i, outcome] of slowOutcomes.entries()) {
      expect(outcome.accepted).toBe(true);
      expect(outcome.at).toBeGreaterThan(sigtermAt);
      expectCompleteResponse(outcome, `in-flight login #${i}`);
    }
    expect(slowOutcomes.some((o) => o.status === 200)).toBe(true);
    for (const outcome of slowOutcomes.filter((o) => o.status === 200)) {
      expect(JSON.parse(outcome.body ?? '')).toMatchObject({ tokens: { accessToken: expect.any(String) } });
    }

    // Probes the server accepted must complete; a probe it never accepted may only be refused at the
    // connection level (the listener is closed), never answered half-way.
    for (const [i, outcome] of burstOutcomes.entries()) {
      if (outcome.accepted) expectCompleteResponse(outcome, `accepted readiness probe #${i}`);
      else if (outcome.error) expect(outcome.error).toMatch(/ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/);
      else expectCompleteResponse(outcome, `readiness probe #${i}`);
      if (outcome.status === 200) expect(JSON.parse(outcome.body ?? '')).toMatchObject({ status: 'ready' });
    }

    // The server closed every idle keep-alive connection itself (the client never did).
    expect(closedIdleSockets.size).toBe(20);

    expect(exit.timedOut, 'the process did not exit within 30 s of SIGTERM').toBe(false);
    const lastLines = server.lines
      .slice(-5)
      .map((l) => JSON.stringify(l))
      .join('\n');
    expect(
      exit,
      `exit after SIGTERM (${exit.ms} ms; ${keptAlive} in-flight answers kept their connection alive)\n` +
        `stderr: ${server.stderr()}\nlast log lines:\n${lastLines}`,
    ).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(10_000);

    const shuttingDown = server.lines.find((l) => l.msg === 'shutting down');
    expect(shuttingDown).toMatchObject({ signal: 'SIGTERM' });
    expect(stopped, 'the "stopped" log line').toBeDefined();
    expect(stopped?.shutdownMs).toEqual(expect.any(Number));
    expect(Number(stopped?.shutdownMs)).toBeLessThan(10_000);
    expect(server.lines.some((l) => /killed by timeout/.test(String(l.msg)))).toBe(false);
  } finally {
    idleAgent.destroy();
    busyAgent.destroy();
  }
}

describe('lectern serve: graceful shutdown', () => {
  it(
    'SIGTERM, 20 idle keep-alive connections, in-flight requests on one-shot connections: exit 0 in < 10 s',
    { timeout: 120_000 },
    () => shutdownScenario('one-shot in flight', false),
  );

  it(
    'SIGTERM, 20 idle keep-alive connections, in-flight requests on keep-alive connections: exit 0 in < 10 s',
    { timeout: 120_000 },
    () => shutdownScenario('keep-alive in flight', true),
  );
});

import type { FastifyReply, FastifyRequest } from 'fastify';
import { serverTiming } from './request-lifecycle.ts';

export interface EventStream {
  /** `retryMs` tells the client how long to wait before reconnecting (the SSE `retry:` field). */
  send(event: string, data: unknown, retryMs?: number): void;
  /** Ends the stream (idempotent). */
  end(): void;
  readonly closed: boolean;
  /** Runs when the stream ends, from either side. */
  onClose(listener: () => void): void;
}

const RECONNECT_MS = 2_000;

/**
 * Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html) written straight to the
 * socket: compression would hold events back. A comment every `heartbeatMs` keeps proxies from timing out a
 * quiet stream. On shutdown every open stream gets `event: shutdown` with a `retry:` hint and ends, so clients
 * reconnect to another process; work still finishing for a stream (e.g. storing a cut-short answer) is awaited.
 */
export function createEventStreams(options: { heartbeatMs?: number } = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<EventStream>();
  const running = new Set<Promise<void>>();

  function openStream(request: FastifyRequest, reply: FastifyReply): EventStream {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
      'x-content-type-options': 'nosniff',
      // What the request did before its first event: the only Server-Timing a stream can carry.
      'server-timing': serverTiming(request),
    });
    const listeners: (() => void)[] = [];
    let closed = false;
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      open.delete(stream);
      for (const listener of listeners) listener();
    };
    const stream: EventStream = {
      send(event, data, retryMs) {
        if (closed) return;
        const retry = retryMs === undefined ? '' : `retry: ${retryMs}\n`;
        raw.write(`${retry}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end() {
        if (closed) return;
        close();
        raw.end();
      },
      get closed() {
        return closed;
      },
      onClose(listener) {
        listeners.push(listener);
      },
    };
    raw.on('close', close);
    open.add(stream);
    return stream;
  }

  return {
    /** Opens a stream, runs `work` on it and ends it; shutdown waits for `work` to return. */
    async serve(
      request: FastifyRequest,
      reply: FastifyReply,
      work: (stream: EventStream) => Promise<void>,
    ): Promise<void> {
      const stream = openStream(request, reply);
      const done = work(stream).finally(() => stream.end());
      running.add(done);
      try {
        await done;
      } finally {
        running.delete(done);
      }
    },

    /** For shutdown: tells every client to reconnect elsewhere, ends its stream, and waits for the work behind it. */
    async closeAll(): Promise<void> {
      for (const stream of [...open]) {
        stream.send('shutdown', { reconnectInMs: RECONNECT_MS }, RECONNECT_MS);
        stream.end();
      }
      await Promise.allSettled(running);
    },

    get size(): number {
      return open.size;
    },
  };
}

export type EventStreams = ReturnType<typeof createEventStreams>;

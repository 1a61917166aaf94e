import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  /** `retryMs` tells the client how long to wait before reconnecting (the SSE `retry:` field). */
  send(event: string, data: unknown, retryMs?: number): void;
  /** Ends the stream (idempotent). */
  end(): void;
  readonly closed: boolean;
  /** Runs when the stream ends, from either side. */
  onClose(listener: () => void): void;
}

const HEARTBEAT_MS = 15_000;
const RECONNECT_MS = 2_000;

/**
 * Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html) written straight to the
 * socket: compression would hold events back. On shutdown every open stream gets `event: shutdown` with a
 * `retry:` hint and ends, so clients reconnect to another process.
 */
export function createEventStreams() {
  const open = new Set<EventStream>();

  return {
    open(request: FastifyRequest, reply: FastifyReply): EventStream {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
        'x-content-type-options': 'nosniff',
      });
      const listeners: (() => void)[] = [];
      let closed = false;
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
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
    },

    /** For shutdown: tells every client to reconnect elsewhere and ends its stream. */
    closeAll(): void {
      for (const stream of [...open]) {
        stream.send('shutdown', { reconnectInMs: RECONNECT_MS }, RECONNECT_MS);
        stream.end();
      }
    },

    get size(): number {
      return open.size;
    },
  };
}

export type EventStreams = ReturnType<typeof createEventStreams>;

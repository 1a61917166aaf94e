// A WebSocket client for tests of GET /api/v1/ws: every server message kept in order, waits with deadlines, and
// the TCP socket underneath exposed so a test can stop reading (a slow consumer, a dead peer).
import net from 'node:net';
import WebSocket from 'ws';

export interface ServerMessage {
  op: 'ack' | 'err' | 'msg';
  ch?: string;
  id?: string | number;
  seq?: number;
  data?: unknown;
}

export interface WsClient {
  socket: WebSocket;
  /** The TCP connection: `tcp.pause()` makes the client stop reading, as a stuck or dead peer does. */
  tcp: net.Socket;
  messages: ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** The first message (already received or still to come) matching `predicate`. */
  waitFor(predicate: (message: ServerMessage) => boolean, deadlineMs?: number): Promise<ServerMessage>;
  close(): Promise<void>;
}

/** The WebSocket URL of a listening app (`http://127.0.0.1:port` → `ws://127.0.0.1:port/api/v1/ws`). */
export const wsUrl = (base: string, token?: string) =>
  `${base.replace(/^http/, 'ws')}/api/v1/ws${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;

export function openWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  let tcp: net.Socket | undefined;
  const socket = new WebSocket(url, {
    headers,
    createConnection: (options: object) => (tcp = net.connect(options as net.NetConnectOpts)),
  });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse((data as Buffer).toString()) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      for (const wake of waiters) wake();
      resolve({ code, reason: reason.toString() });
    }),
  );
  const client: WsClient = {
    socket,
    get tcp() {
      return tcp!;
    },
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    waitFor(predicate, deadlineMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${deadlineMs} ms; got ${JSON.stringify(messages)}`));
        }, deadlineMs);
        const check = () => {
          const found = messages.find(predicate);
          if (!found && socket.readyState !== WebSocket.CLOSED) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found) resolve(found);
          else reject(new Error(`closed before a matching message; got ${JSON.stringify(messages)}`));
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    // Before open: the connection failed. After it: a reset, followed by 'close', which `closed` reports.
    socket.on('error', reject);
  });
}

/** The HTTP status that refused an upgrade (rejects if the WebSocket opened). */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the upgrade was accepted'));
    });
    socket.on('error', (error) => reject(error));
  });
}

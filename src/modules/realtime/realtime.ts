import type { WebSocket } from 'ws';
import type { Logger } from '../../platform/observability/logger.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';
import type { PubSub } from '../../platform/pubsub/pubsub.ts';
import type { Actor } from '../users/index.ts';
import { createChannelFanOut } from './channel-fan-out.ts';
import { createChannelRegistry } from './channel-registry.ts';
import { serveConnection, type ConnectionLimits } from './connection.ts';

export interface RealtimeDeps {
  pubsub: PubSub;
  metrics: Pick<Metrics, 'wsConnections' | 'wsMessages' | 'wsSlowConsumersDropped'>;
  logger: Logger;
  settings: ConnectionLimits & { pingIntervalMs: number };
}

const GOING_AWAY = 1001;
/** How long a closing handshake may take on shutdown before the socket is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * The WebSocket side of the process: open sockets, the channel kinds they may subscribe to (modules register
 * theirs on `channels`), one pub/sub fan-out, and one ping timer that drops peers that stopped answering.
 */
export function createRealtime(deps: RealtimeDeps) {
  const { metrics, settings } = deps;
  const channels = createChannelRegistry();
  const fanOut = createChannelFanOut({
    pubsub: deps.pubsub,
    onError: (error, during) =>
      deps.logger.warn({ err: error, during }, 'a pub/sub channel operation failed'),
  });
  /** Each open socket, with whether it answered the last ping. */
  const sockets = new Map<WebSocket, { alive: boolean }>();
  let pinger: NodeJS.Timeout | undefined;
  let shuttingDown = false;

  function ping(): void {
    for (const [socket, peer] of sockets) {
      if (!peer.alive) {
        socket.terminate();
        continue;
      }
      peer.alive = false;
      socket.ping();
    }
  }

  return {
    channels,
    fanOut,
    get connections() {
      return sockets.size;
    },

    /** Takes over an upgraded socket of an authenticated actor. */
    accept(socket: WebSocket, actor: Actor): void {
      if (shuttingDown) return socket.close(GOING_AWAY, 'server shutting down');
      const peer = { alive: true };
      sockets.set(socket, peer);
      metrics.wsConnections.inc();
      socket.on('pong', () => (peer.alive = true));
      socket.on('close', () => {
        sockets.delete(socket);
        metrics.wsConnections.dec();
        if (sockets.size > 0) return;
        clearInterval(pinger);
        pinger = undefined;
      });
      pinger ??= setInterval(ping, settings.pingIntervalMs);
      serveConnection(socket, actor, { ...deps, channels, fanOut, limits: settings });
    },

    /** Shutdown: every socket is closed with 1001 (going away), cut after a short grace if the peer is silent. */
    async closeAll(): Promise<void> {
      shuttingDown = true;
      const open = [...sockets.keys()];
      const closed = open.map(
        (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      for (const socket of open) socket.close(GOING_AWAY, 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
      await Promise.race([Promise.all(closed), grace]);
      clearTimeout(timer);
      for (const socket of sockets.keys()) socket.terminate();
    },
  };
}

export type Realtime = ReturnType<typeof createRealtime>;

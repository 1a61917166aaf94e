import type { RawData, WebSocket } from 'ws';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/observability/logger.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';
import type { Actor } from '../users/index.ts';
import type { ChannelFanOut, FrameListener } from './channel-fan-out.ts';
import type { ChannelRegistry } from './channel-registry.ts';
import type { RealtimeErrorCode } from './realtime.errors.ts';
import { isClientMessage, type ClientMessage, type ServerMessage } from './realtime.schema.ts';
import { createTokenBucket } from './token-bucket.ts';

export interface ConnectionLimits {
  maxSubscriptions: number;
  messagesPerSecond: number;
  messageBurst: number;
  maxBufferedBytes: number;
}

export interface ConnectionDeps {
  channels: ChannelRegistry;
  fanOut: ChannelFanOut;
  limits: ConnectionLimits;
  metrics: Pick<Metrics, 'wsMessages' | 'wsSlowConsumersDropped'>;
  logger: Logger;
}

interface Subscription {
  /** Deltas that arrived before the snapshot was sent; undefined once it was. */
  pending: Buffer[] | undefined;
  leave: (() => Promise<void>) | undefined;
  ended: boolean;
}

const POLICY_VIOLATION = 1008;
const TRY_AGAIN_LATER = 1013;

/** Serves one client's socket: subscriptions, authorisation, snapshot-then-deltas, inbound and outbound limits. */
export function serveConnection(socket: WebSocket, actor: Actor, deps: ConnectionDeps): void {
  const { limits, metrics } = deps;
  const subscriptions = new Map<string, Subscription>();
  const inbound = createTokenBucket({ perSecond: limits.messagesPerSecond, burst: limits.messageBurst });
  let closing = false;

  const close = (code: number, reason: string) => {
    closing = true;
    socket.close(code, reason);
  };

  function send(frame: Buffer | string): void {
    if (closing || socket.readyState !== socket.OPEN) return;
    // A client that stops reading would make the process hold everything sent to it.
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      metrics.wsSlowConsumersDropped.inc();
      deps.logger.info(
        { userId: actor.id, buffered: socket.bufferedAmount },
        'dropped a slow WebSocket consumer',
      );
      return close(TRY_AGAIN_LATER, 'slow consumer');
    }
    socket.send(frame);
    metrics.wsMessages.inc({ direction: 'out' });
  }
  const reply = (message: ServerMessage) => send(JSON.stringify(message));
  const refuse = (message: Partial<ClientMessage>, code: RealtimeErrorCode, detail: string) =>
    reply({ op: 'err', ch: message.ch, id: message.id, data: { code, detail } });

  async function end(ch: string, subscription: Subscription): Promise<void> {
    subscription.ended = true;
    if (subscriptions.get(ch) === subscription) subscriptions.delete(ch);
    await subscription.leave?.();
  }

  async function subscribe(message: ClientMessage): Promise<void> {
    const { ch, id } = message;
    if (subscriptions.has(ch)) return reply({ op: 'ack', ch, id });
    if (subscriptions.size >= limits.maxSubscriptions) {
      return refuse(
        message,
        'REALTIME_TOO_MANY_SUBSCRIPTIONS',
        `At most ${limits.maxSubscriptions} channels.`,
      );
    }
    // Taken before anything is awaited, so concurrent subscribes cannot pass the cap together.
    const subscription: Subscription = { pending: [], leave: undefined, ended: false };
    subscriptions.set(ch, subscription);
    const onFrame: FrameListener = (frame) => {
      if (subscription.pending) subscription.pending.push(frame);
      else send(frame);
    };
    try {
      const resolved = await deps.channels.resolve(actor, ch);
      if (!resolved) {
        await end(ch, subscription);
        return refuse(message, 'REALTIME_CHANNEL_NOT_FOUND', `No channel ${ch} of yours.`);
      }
      if (subscription.ended) return;
      // Joined before the snapshot is read: a change made in between arrives after the snapshot, not never.
      subscription.leave = await deps.fanOut.join(ch, resolved.topic, onFrame, resolved.snapshot);
      if (subscription.ended) return await subscription.leave();
      const snapshot = resolved.snapshot ? await resolved.snapshot() : undefined;
      if (subscription.ended) return;
      reply({ op: 'ack', ch, id });
      if (resolved.snapshot) reply({ op: 'msg', ch, seq: 0, data: snapshot });
      const pending = subscription.pending ?? [];
      subscription.pending = undefined;
      for (const frame of pending) send(frame);
    } catch (error) {
      await end(ch, subscription).catch(() => undefined);
      if (error instanceof AppError && error.status === 404) {
        return refuse(message, 'REALTIME_CHANNEL_NOT_FOUND', `No channel ${ch} of yours.`);
      }
      deps.logger.warn({ err: error, userId: actor.id, ch }, 'a WebSocket subscription could not be opened');
      refuse(message, 'REALTIME_UNAVAILABLE', 'The channel could not be opened; retry shortly.');
    }
  }

  async function unsubscribe(message: ClientMessage): Promise<void> {
    const subscription = subscriptions.get(message.ch);
    if (subscription) await end(message.ch, subscription);
    reply({ op: 'ack', ch: message.ch, id: message.id });
  }

  socket.on('message', (data: RawData, isBinary: boolean) => {
    metrics.wsMessages.inc({ direction: 'in' });
    if (closing) return;
    if (!inbound.take()) {
      refuse({}, 'REALTIME_RATE_LIMITED', `More than ${limits.messagesPerSecond} messages per second.`);
      return close(POLICY_VIOLATION, 'rate limit');
    }
    const message = isBinary ? undefined : parse(data);
    if (!message) return refuse({}, 'REALTIME_BAD_MESSAGE', 'Send JSON {op: "sub"|"unsub", ch, id}.');
    const handled = message.op === 'sub' ? subscribe(message) : unsubscribe(message);
    handled.catch((error: unknown) => deps.logger.warn({ err: error }, 'a WebSocket message failed'));
  });

  socket.on('close', () => {
    closing = true;
    for (const [ch, subscription] of subscriptions) void end(ch, subscription).catch(() => undefined);
  });
}

function parse(data: RawData): ClientMessage | undefined {
  try {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString()
      : Buffer.from(data as ArrayBuffer).toString();
    const message: unknown = JSON.parse(text);
    return isClientMessage.Check(message) ? message : undefined;
  } catch {
    return undefined;
  }
}

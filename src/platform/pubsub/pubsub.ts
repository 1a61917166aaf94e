import { EventEmitter, once } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { pingRedis } from '../redis.ts';

export type Listener = (message: unknown) => void;

/** Fan-out of small JSON messages to every process's listeners on a channel (job progress, new posts). */
export interface PubSub {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: string, listener: Listener): Promise<() => Promise<void>>;
  /**
   * Calls `listener` each time the subscriptions are back after the connection was lost (and with it whatever was
   * published meanwhile), once they are all in place again. Returns the function that stops it.
   */
  onResubscribed(listener: () => void): () => void;
  close(): Promise<void>;
}

export function createMemoryPubSub(): PubSub {
  const emitter = new EventEmitter().setMaxListeners(0);
  return {
    kind: 'memory',
    async publish(channel, message) {
      // The JSON form, as Redis carries it; each listener parses its own copy.
      emitter.emit(channel, JSON.stringify(message));
    },
    async subscribe(channel, listener) {
      const deliver = (json: string) => listener(JSON.parse(json));
      emitter.on(channel, deliver);
      return async () => {
        emitter.off(channel, deliver);
      };
    },
    // In one process nothing is ever lost in between.
    onResubscribed: () => () => undefined,
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/**
 * Redis pub/sub. A process subscribes to a Redis channel only while it has local listeners on it, so thousands
 * of idle channels cost nothing. Publishing fails fast when Redis is down (the caller decides what that means).
 */
export function createRedisPubSub(redisUrl: string, logger: Logger): PubSub {
  const publisher = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  for (const connection of [publisher, subscriber]) connection.on('error', () => undefined);
  const local = new EventEmitter().setMaxListeners(0);

  subscriber.on('message', (channel: string, raw: string) => local.emit(channel, raw));

  const resubscribed = new EventEmitter().setMaxListeners(0);
  let lost = false;
  subscriber.on('close', () => (lost = true));
  subscriber.on('ready', () => {
    if (!lost) return;
    lost = false;
    // ioredis sends its own SUBSCRIBE for every channel right after 'ready'; ours, queued behind it, answers once
    // they are all in place again (subscribing twice to a channel is a no-op in Redis).
    setImmediate(() => {
      const channels = local.eventNames().filter((name): name is string => typeof name === 'string');
      const again = channels.length > 0 ? subscriber.subscribe(...channels) : Promise.resolve();
      again.then(
        () => resubscribed.emit('resubscribed'),
        (error: unknown) =>
          logger.warn({ err: error }, 'pub/sub could not subscribe again after reconnecting'),
      );
    });
  });

  return {
    kind: 'redis',
    async publish(channel, message) {
      const { status } = publisher;
      if (status === 'wait' || status === 'connecting' || status === 'connect') await pingRedis(publisher);
      await publisher.publish(channel, JSON.stringify(message));
    },
    async subscribe(channel, listener) {
      // Each listener parses its own copy, so none can change what another receives.
      const deliver = (raw: string) => {
        let message: unknown;
        try {
          message = JSON.parse(raw);
        } catch (error) {
          return logger.warn({ err: error, channel }, 'dropped an unreadable pub/sub message');
        }
        listener(message);
      };
      local.on(channel, deliver);
      if (local.listenerCount(channel) === 1) {
        try {
          // ioredis 5.x would write SUBSCRIBE during its handshake and then fail its own ready check
          // (redis/ioredis#2037), dropping the connection and the subscription.
          if (subscriber.status !== 'ready')
            await once(subscriber, 'ready', { signal: AbortSignal.timeout(2000) });
          if (local.listenerCount(channel) > 0) await subscriber.subscribe(channel);
        } catch (error) {
          local.off(channel, deliver);
          throw error;
        }
      }
      return async () => {
        local.off(channel, deliver);
        if (local.listenerCount(channel) === 0) await subscriber.unsubscribe(channel);
      };
    },
    onResubscribed(listener) {
      resubscribed.on('resubscribed', listener);
      return () => void resubscribed.off('resubscribed', listener);
    },
    async close() {
      local.removeAllListeners();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

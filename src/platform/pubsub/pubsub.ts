import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

export type Listener = (message: unknown) => void;

/** Fan-out of small JSON messages to every process's listeners on a channel (job progress, new posts). */
export interface PubSub {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: string, listener: Listener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createMemoryPubSub(): PubSub {
  const emitter = new EventEmitter().setMaxListeners(0);
  return {
    kind: 'memory',
    async publish(channel, message) {
      // A copy, as Redis would deliver: no listener can mutate the publisher's object.
      emitter.emit(channel, structuredClone(message));
    },
    async subscribe(channel, listener) {
      emitter.on(channel, listener);
      return async () => {
        emitter.off(channel, listener);
      };
    },
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

  subscriber.on('message', (channel: string, raw: string) => {
    try {
      local.emit(channel, JSON.parse(raw));
    } catch (error) {
      logger.warn({ err: error, channel }, 'dropped an unreadable pub/sub message');
    }
  });

  return {
    kind: 'redis',
    async publish(channel, message) {
      await publisher.publish(channel, JSON.stringify(message));
    },
    async subscribe(channel, listener) {
      local.on(channel, listener);
      if (local.listenerCount(channel) === 1) await subscriber.subscribe(channel);
      return async () => {
        local.off(channel, listener);
        if (local.listenerCount(channel) === 0) await subscriber.unsubscribe(channel);
      };
    },
    async close() {
      local.removeAllListeners();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

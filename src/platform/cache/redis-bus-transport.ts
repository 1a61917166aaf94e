import type { BusDriver } from 'bentocache/types';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/**
 * The cache bus on Redis pub/sub, in place of BentoCache's `redisBusDriver`, whose publisher and subscriber
 * both run on ioredis defaults. Measured with Redis down: `delete()` waited 32 s and a read of a
 * tag-invalidated entry 10 s for their PUBLISH in the offline queue, and ~10 s after start the pending
 * SUBSCRIBE was rejected where BentoCache never catches it (an unhandled rejection: a crash, and no bus once
 * Redis is back). Here PUBLISH goes through the fail-fast cache connection (a failure lands in BentoCache's
 * retry queue, replayed when Redis is back) and the subscriber, which sends nothing else, waits for Redis
 * however long it takes (`maxRetriesPerRequest: null`).
 */
export function createRedisBusTransport(publisher: Redis, subscriber: Redis, logger: Logger): BusDriver {
  let busId = '';
  let closed = false;
  const handlers = new Map<string, (payload: never) => void | Promise<void>>();
  const ignored = (error: unknown) => logger.warn({ err: error }, 'ignored a cache bus message');

  subscriber.on('message', (channel: string, raw: string) => {
    const handler = handlers.get(channel);
    if (!handler) return;
    try {
      const message = JSON.parse(raw) as { busId: string; payload: never };
      // This process hears its own publications too.
      if (message.busId !== busId) Promise.resolve(handler(message.payload)).catch(ignored);
    } catch (error) {
      ignored(error);
    }
  });

  const transport: BusDriver = {
    setId(id) {
      busId = id;
      return transport;
    },
    onReconnect(callback) {
      publisher.on('ready', callback);
    },
    async publish(channel, payload) {
      await publisher.publish(channel, JSON.stringify({ busId, payload }));
    },
    async subscribe(channel, handler) {
      handlers.set(channel, handler);
      try {
        await subscriber.subscribe(channel);
      } catch (error) {
        if (!closed) logger.error({ err: error, channel }, 'cache bus subscription failed');
      }
    },
    async unsubscribe(channel) {
      handlers.delete(channel);
      await subscriber.unsubscribe(channel);
    },
    async disconnect() {
      closed = true;
      // disconnect(), not quit(): QUIT would wait behind a SUBSCRIBE queued while Redis is down.
      subscriber.disconnect();
    },
  };
  return transport;
}

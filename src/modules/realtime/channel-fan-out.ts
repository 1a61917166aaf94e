import type { PubSub } from '../../platform/pubsub/pubsub.ts';

/** One socket's interest in a channel: receives each delta already serialised (the same frame for every socket). */
export type FrameListener = (frame: Buffer) => void;
/** The channel's current state as one socket's subscriber may read it. */
export type SnapshotRead = () => Promise<unknown>;

interface Channel {
  /** Each listener with its subscriber's snapshot read, if the channel has state. */
  listeners: Map<FrameListener, SnapshotRead | undefined>;
  seq: number;
  /** The pub/sub subscription, shared by every local listener of the channel. */
  subscribed: Promise<() => Promise<void>>;
}

/**
 * Fan-out of pub/sub messages to the sockets of this process. A channel is subscribed on pub/sub only while one
 * of its sockets listens here; each message is serialised once (one frame, one `seq`) for all of them.
 */
export function createChannelFanOut(deps: {
  pubsub: PubSub;
  onError: (error: unknown, during: 'leave' | 'resync') => void;
}) {
  const channels = new Map<string, Channel>();

  function broadcast(name: string, channel: Channel, data: unknown): void {
    if (channel.listeners.size === 0) return;
    channel.seq += 1;
    const frame = Buffer.from(JSON.stringify({ op: 'msg', ch: name, seq: channel.seq, data }));
    for (const listener of channel.listeners.keys()) listener(frame);
  }

  function open(name: string, topic: string): Channel {
    const channel: Channel = {
      listeners: new Map(),
      seq: 0,
      subscribed: deps.pubsub.subscribe(topic, (message) => broadcast(name, channel, message)),
    };
    channels.set(name, channel);
    return channel;
  }

  /**
   * Deltas published while pub/sub was disconnected are gone: each channel with state gets a fresh snapshot as
   * its next delta (read once, through one of its subscribers), so no subscriber stays on a stale state.
   */
  async function resync(): Promise<void> {
    await Promise.all(
      [...channels].map(async ([name, channel]) => {
        const read = [...channel.listeners.values()].find((snapshot) => snapshot !== undefined);
        if (!read) return;
        try {
          const state = await read();
          if (channels.get(name) === channel) broadcast(name, channel, state);
        } catch (error) {
          deps.onError(error, 'resync');
        }
      }),
    );
  }
  deps.pubsub.onResubscribed(() => void resync());

  async function leave(name: string, channel: Channel, listener: FrameListener): Promise<void> {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || channels.get(name) !== channel) return;
    channels.delete(name);
    const unsubscribe = await channel.subscribed.catch(() => undefined);
    await unsubscribe?.().catch((error: unknown) => deps.onError(error, 'leave'));
  }

  return {
    /**
     * Adds `listener` to channel `name` (whose deltas are published on `topic`); resolves once this process is
     * subscribed, so anything published afterwards reaches it. Returns the function that removes it.
     */
    async join(
      name: string,
      topic: string,
      listener: FrameListener,
      snapshot?: SnapshotRead,
    ): Promise<() => Promise<void>> {
      const channel = channels.get(name) ?? open(name, topic);
      channel.listeners.set(listener, snapshot);
      try {
        await channel.subscribed;
      } catch (error) {
        if (channels.get(name) === channel) channels.delete(name);
        channel.listeners.delete(listener);
        throw error;
      }
      return () => leave(name, channel, listener);
    },
    /** Channels this process is subscribed to (for tests and the admin view). */
    get size() {
      return channels.size;
    },
  };
}

export type ChannelFanOut = ReturnType<typeof createChannelFanOut>;

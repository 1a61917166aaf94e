import type { Actor } from '../users/index.ts';

/** A channel the actor may follow: where its deltas are published, and how to read its current state. */
export interface ResolvedChannel {
  /** The pub/sub channel whose messages are forwarded, as they are, as this channel's deltas. */
  topic: string;
  /** The current state, sent first (seq 0); channels without state (notifications) have none. */
  snapshot?: () => Promise<unknown>;
}

/**
 * Resolves the id after `kind:` for one actor. Undefined when the channel does not exist *or* is not the actor's:
 * the client gets the same answer for both, as hidden resources answer the same 404 as missing ones over HTTP.
 */
export type ChannelSource = (actor: Actor, id: string) => Promise<ResolvedChannel | undefined>;

const CHANNEL = /^([a-z]{1,16}):([\w.-]{1,128})$/;

/**
 * Channel kinds (`user`, `doc`, `job`, …) and the sources that authorise them. A kind may have several sources
 * (`job:` ids of document ingestion, course and deck generation): the first that resolves an id wins.
 */
export function createChannelRegistry() {
  const sources = new Map<string, ChannelSource[]>();
  return {
    register(kind: string, source: ChannelSource): void {
      sources.set(kind, [...(sources.get(kind) ?? []), source]);
    },
    /** Authorises `channel` (e.g. `doc:<id>`) for the actor; undefined when unknown, malformed or not theirs. */
    async resolve(actor: Actor, channel: string): Promise<ResolvedChannel | undefined> {
      const [, kind, id] = CHANNEL.exec(channel) ?? [];
      if (!kind || !id) return undefined;
      for (const source of sources.get(kind) ?? []) {
        const resolved = await source(actor, id);
        if (resolved) return resolved;
      }
      return undefined;
    },
  };
}

export type ChannelRegistry = ReturnType<typeof createChannelRegistry>;

// The realtime module's public surface: other modules import only from here.
export type { ChannelSource, ResolvedChannel } from './channel-registry.ts';
export { ownUserSource, progressSource, userTopic } from './channel-sources.ts';
export { REALTIME_ERRORS } from './realtime.errors.ts';
export { realtimeRoutes } from './realtime.routes.ts';
export { createRealtime, type Realtime } from './realtime.ts';

import { defineErrors } from '../../platform/errors.ts';

/**
 * Codes of `{op: "err"}` WebSocket messages (`data.code`), and of the HTTP answers to `GET /api/v1/ws`. The
 * status is what the same refusal would be over HTTP.
 */
export const REALTIME_ERRORS = defineErrors({
  REALTIME_UPGRADE_REQUIRED: {
    status: 426,
    when: '`GET /api/v1/ws` without a WebSocket upgrade.',
  },
  REALTIME_BAD_MESSAGE: {
    status: 400,
    when: 'A WebSocket message that is not JSON `{op, ch, id?}` with op `sub` or `unsub`.',
  },
  REALTIME_CHANNEL_NOT_FOUND: {
    status: 404,
    when: 'Subscribing to a channel that does not exist or is not yours (the same answer for both).',
  },
  REALTIME_TOO_MANY_SUBSCRIPTIONS: {
    status: 429,
    when: 'Subscribing past WS_MAX_SUBSCRIPTIONS on one connection; unsubscribe first.',
  },
  REALTIME_RATE_LIMITED: {
    status: 429,
    when: 'More messages than WS_MESSAGES_PER_SECOND (burst WS_MESSAGE_BURST): the connection is closed with 1008.',
  },
  REALTIME_UNAVAILABLE: {
    status: 503,
    when: 'A subscription could not be opened (database or pub/sub unreachable); retry shortly.',
  },
});

export type RealtimeErrorCode = keyof typeof REALTIME_ERRORS;

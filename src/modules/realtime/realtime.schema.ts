import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { RealtimeErrorCode } from './realtime.errors.ts';

export const ClientMessage = Type.Object(
  {
    op: Type.Union([Type.Literal('sub'), Type.Literal('unsub')]),
    ch: Type.String({ minLength: 1, maxLength: 160 }),
    /** Echoed in the `ack` or `err` that answers this message. */
    id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])),
  },
  { additionalProperties: false },
);
export type ClientMessage = Static<typeof ClientMessage>;
export const isClientMessage = TypeCompiler.Compile(ClientMessage);

/** What the server sends: acknowledgements, refusals (`data.code`) and channel messages (`seq` 0 = snapshot). */
export type ServerMessage =
  | { op: 'ack'; ch: string; id?: string | number }
  | { op: 'err'; ch?: string; id?: string | number; data: { code: RealtimeErrorCode; detail: string } }
  | { op: 'msg'; ch: string; seq: number; data: unknown };

/** The same frames as a schema, for the API reference. */
export const ServerFrame = Type.Object(
  {
    op: Type.Union([Type.Literal('ack'), Type.Literal('err'), Type.Literal('msg')]),
    ch: Type.Optional(Type.String()),
    id: Type.Optional(
      Type.Union([Type.String(), Type.Integer()], { description: 'ack and err: the echoed id' }),
    ),
    seq: Type.Optional(Type.Integer({ minimum: 0, description: 'msg: 0 for the snapshot, then increasing' })),
    data: Type.Optional(Type.Unknown({ description: 'msg: the snapshot or delta; err: `{code, detail}`' })),
  },
  { description: 'One JSON text frame from the server.' },
);

export const WsQuery = Type.Object({
  token: Type.Optional(
    Type.String({
      description: 'Access or API token, for clients that cannot set `Authorization` (browsers).',
    }),
  ),
});

export const PROTOCOL_DESCRIPTION = [
  'One WebSocket per client, multiplexing channels. Authenticate with `Authorization: Bearer <token>` or, from a',
  'browser (which cannot set headers on a WebSocket), `?token=<token>`; without a valid token the upgrade is',
  'refused with HTTP 401 before any WebSocket exists. A plain GET (no upgrade) answers 426.',
  '',
  'Client → server: `{"op":"sub"|"unsub","ch":"<kind>:<id>","id":<echoed>}`.',
  'Server → client: `{"op":"ack","ch","id"}`, `{"op":"err","ch","id","data":{"code","detail"}}`,',
  '`{"op":"msg","ch","seq","data"}`.',
  '',
  'Channels: `user:<yourUserId>` (notifications and hints; only your own), `doc:<documentId>` (processing',
  'progress of your document: `{status, stageProgress, error}`), `job:<jobId>` (progress of long work; a',
  "document's ingestion job is addressed by its document id). On subscribing to a channel with state, a",
  'snapshot comes first with `seq` 0, then deltas with increasing `seq`. Messages carry ids and small deltas:',
  'read resources over HTTP. A channel that does not exist or is not yours answers `err` with',
  '`REALTIME_CHANNEL_NOT_FOUND` (one answer for both).',
  '',
  'Limits: WS_MAX_SUBSCRIPTIONS per connection (`err` REALTIME_TOO_MANY_SUBSCRIPTIONS); inbound messages per',
  'second (WS_MESSAGES_PER_SECOND, burst WS_MESSAGE_BURST; beyond it `err` REALTIME_RATE_LIMITED and close',
  '1008); 4 KiB per message (close 1009). The server pings every WS_PING_INTERVAL_MS and drops a peer that',
  'missed a pong; a client whose unread backlog exceeds WS_MAX_BUFFERED_BYTES is closed with 1013; on',
  'shutdown every socket is closed with 1001 (reconnect to another process).',
].join('\n');

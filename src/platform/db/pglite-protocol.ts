// Messages between the main thread's PGlite client and the worker thread that owns PGlite.

export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  | { id: number; op: 'dump' }
  | { id: number; op: 'close' };

/** `ms`: how long the statement ran in the worker (the main thread's clock would add its own delays). */
export type PgliteReply =
  | { id: number; ok: true; result: unknown; ms: number }
  | { id: number; ok: false; error: SerializedDbError; ms: number };

/** The fields of a PostgreSQL error worth keeping across the thread boundary (constraint names, SQLSTATE). */
export interface SerializedDbError {
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  column?: string;
}

export interface PgliteWorkerData {
  dataDir: string | undefined;
}

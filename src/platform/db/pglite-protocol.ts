// Messages between the main thread's PGlite client and the worker thread that owns PGlite.

export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  | { id: number; op: 'dump' }
  | { id: number; op: 'close' };

export type PgliteReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedDbError };

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

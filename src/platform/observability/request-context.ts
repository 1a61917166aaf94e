import { AsyncLocalStorage } from 'node:async_hooks';

/** What a request accumulates while it runs: read by the logger, the SQL listener and Server-Timing. */
export interface RequestContext {
  requestId: string;
  userId?: string;
  db: { statements: number; ms: number };
  /** Named stages (e.g. `embed`) reported in Server-Timing beside `db` and `total`. */
  timings: Record<string, number>;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function newRequestContext(requestId: string): RequestContext {
  return { requestId, db: { statements: 0, ms: 0 }, timings: {} };
}

/** Adds `ms` to the current request's stage `name` (no-op outside a request). */
export function recordTiming(name: string, ms: number): void {
  const timings = requestContext.getStore()?.timings;
  if (timings) timings[name] = (timings[name] ?? 0) + ms;
}

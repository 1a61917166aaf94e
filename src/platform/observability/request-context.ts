import { AsyncLocalStorage } from 'node:async_hooks';

/** What a request accumulates while it runs: read by the logger, the SQL listener and Server-Timing. */
export interface RequestContext {
  requestId: string;
  userId?: string;
  db: { statements: number; ms: number };
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function newRequestContext(requestId: string): RequestContext {
  return { requestId, db: { statements: 0, ms: 0 } };
}

import { AppError } from '../errors.ts';
import { requestContext } from '../observability/request-context.ts';

interface Holder {
  label: string;
  since: number;
}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
  background: boolean;
  since: number;
}

/** A background waiter older than this goes first anyway, so jobs keep moving under constant traffic. */
const BACKGROUND_MAX_WAIT_MS = 250;

/**
 * A lock over PGlite's single session. Requests go ahead of queued background work (jobs, the outbox relay),
 * which otherwise adds its statements to every request's wait during ingestion; background work waits at most
 * BACKGROUND_MAX_WAIT_MS for that. Waiting longer than `timeoutMs` fails with DB_BUSY and reports who holds
 * the session, instead of hanging the request (or deadlocking code that forgot its transaction).
 */
export class ConnectionLock {
  #holder: Holder | undefined;
  #queue: Waiter[] = [];
  #timeoutMs: number;
  #onBusy: (holder: { label: string; heldMs: number }) => void;

  constructor(timeoutMs: number, onBusy: (holder: { label: string; heldMs: number }) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onBusy = onBusy;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  get held(): boolean {
    return this.#holder !== undefined;
  }

  acquire(): Promise<void> {
    const context = requestContext.getStore();
    const label = context ? `request ${context.requestId}` : 'background task';
    if (!this.#holder) {
      this.#holder = { label, since: performance.now() };
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry: Waiter = {
        background: !context,
        since: performance.now(),
        grant: () => {
          clearTimeout(entry.timer);
          this.#holder = { label, since: performance.now() };
          resolve();
        },
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(entry), 1);
          const holder = this.#holder;
          const heldMs = holder ? Math.round(performance.now() - holder.since) : 0;
          this.#onBusy({ label: holder?.label ?? 'nobody', heldMs });
          reject(dbBusy());
        }, this.#timeoutMs),
      };
      this.#queue.push(entry);
    });
  }

  release(): void {
    this.#holder = undefined;
    const next = this.#next();
    if (next === undefined) return;
    this.#queue.splice(next, 1)[0]!.grant();
  }

  /** Index of the waiter to grant: the oldest request, unless background work has waited too long. */
  #next(): number | undefined {
    if (this.#queue.length === 0) return undefined;
    const oldest = this.#queue[0]!;
    if (oldest.background && performance.now() - oldest.since < BACKGROUND_MAX_WAIT_MS) {
      const request = this.#queue.findIndex((waiter) => !waiter.background);
      if (request !== -1) return request;
    }
    return 0;
  }
}

export function dbBusy(): AppError {
  return new AppError('DB_BUSY', 503, 'The database is busy; retry shortly.', {
    headers: { 'retry-after': '1' },
  });
}

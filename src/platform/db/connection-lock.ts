import { AppError } from '../errors.ts';
import { requestContext } from '../observability/request-context.ts';

interface Holder {
  label: string;
  since: number;
}

/**
 * A FIFO lock over PGlite's single session. Waiting longer than `timeoutMs` fails with DB_BUSY and reports
 * who holds the session, instead of hanging the request (or deadlocking code that forgot its transaction).
 */
export class ConnectionLock {
  #holder: Holder | undefined;
  #queue: { grant: () => void; timer: NodeJS.Timeout }[] = [];
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
    const label = describeCaller();
    if (!this.#holder) {
      this.#holder = { label, since: performance.now() };
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
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
    this.#queue.shift()?.grant();
  }
}

export function dbBusy(): AppError {
  return new AppError('DB_BUSY', 503, 'The database is busy; retry shortly.', {
    headers: { 'retry-after': '1' },
  });
}

function describeCaller(): string {
  const ctx = requestContext.getStore();
  return ctx ? `request ${ctx.requestId}` : 'background task';
}

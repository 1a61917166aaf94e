import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Tables } from './tables.ts';

export type Executor = Kysely<Tables> | Transaction<Tables>;

interface OpenTransaction {
  trx: Transaction<Tables>;
  afterCommit: (() => void)[];
}

/**
 * The open transaction travels in AsyncLocalStorage, so repositories called inside `transaction()` use it
 * without being handed it. On PGlite's single session this is what keeps a root query inside a transaction
 * from waiting on the transaction's own lock.
 */
export function createTransactions(db: Kysely<Tables>, onCallbackError: (error: unknown) => void) {
  const current = new AsyncLocalStorage<OpenTransaction>();
  return {
    executor(): Executor {
      return current.getStore()?.trx ?? db;
    },
    /** Runs `work` in a transaction, or inside the caller's transaction when there is one. */
    async transaction<T>(work: () => Promise<T>): Promise<T> {
      if (current.getStore()) return work();
      const open: Omit<OpenTransaction, 'trx'> = { afterCommit: [] };
      const result = await db.transaction().execute((trx) => current.run({ trx, ...open }, work));
      for (const callback of open.afterCommit) {
        try {
          callback();
        } catch (error) {
          onCallbackError(error);
        }
      }
      return result;
    },
    /**
     * Runs `callback` once the current transaction commits (never if it rolls back); at once outside one.
     * For nudges only (waking a relay): anything that must happen goes through the outbox.
     */
    afterCommit(callback: () => void): void {
      const open = current.getStore();
      if (open) open.afterCommit.push(callback);
      else callback();
    },
  };
}

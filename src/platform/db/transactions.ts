import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Tables } from './tables.ts';

export type Executor = Kysely<Tables> | Transaction<Tables>;

/**
 * The open transaction travels in AsyncLocalStorage, so repositories called inside `transaction()` use it
 * without being handed it. On PGlite's single session this is what keeps a root query inside a transaction
 * from waiting on the transaction's own lock.
 */
export function createTransactions(db: Kysely<Tables>) {
  const current = new AsyncLocalStorage<Transaction<Tables>>();
  return {
    executor(): Executor {
      return current.getStore() ?? db;
    },
    /** Runs `work` in a transaction, or inside the caller's transaction when there is one. */
    transaction<T>(work: () => Promise<T>): Promise<T> {
      if (current.getStore()) return work();
      return db.transaction().execute((trx) => current.run(trx, work));
    },
  };
}

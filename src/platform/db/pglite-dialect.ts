import {
  CompiledQuery,
  PGliteAdapter,
  PGliteDialect,
  PGliteDriver,
  type DatabaseConnection,
  type Driver,
} from 'kysely';
import type { ConnectionLock } from './connection-lock.ts';
import type { PgliteClient } from './pglite-client.ts';

/**
 * Kysely's PGlite dialect with our own lock around its single connection: Kysely's built-in mutex cannot time
 * out or say who holds it, and a wait that never ends is worse than a 503.
 */
export class LockedPgliteDialect extends PGliteDialect {
  #client: PgliteClient;
  #lock: ConnectionLock;

  constructor(client: PgliteClient, lock: ConnectionLock) {
    super({ pglite: client });
    this.#client = client;
    this.#lock = lock;
  }

  override createAdapter(): PGliteAdapter {
    return new SelfLockingAdapter();
  }

  override createDriver(): Driver {
    return new LockedPgliteDriver(this.#client, this.#lock);
  }
}

class SelfLockingAdapter extends PGliteAdapter {
  // The driver locks; telling Kysely "multiple connections" keeps it from stacking a second, untimed mutex.
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

class LockedPgliteDriver extends PGliteDriver {
  #lock: ConnectionLock;

  constructor(client: PgliteClient, lock: ConnectionLock) {
    super({ pglite: client });
    this.#lock = lock;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    this.#lock.release();
  }

  // Plain statements on the locked session. Kysely's own PGlite transactions wait on a promise that a failed
  // BEGIN never settles, which would hold the lock forever.
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN'));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }
}

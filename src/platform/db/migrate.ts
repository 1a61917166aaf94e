import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';
import type { Tables } from './tables.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const MIN_PGVECTOR = [0, 8];

export type VectorStatus = { enabled: true; version: string } | { enabled: false; reason: string };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies migrations/*.sql, then migrations/vector/*.sql (own history table) where pgvector ≥ 0.8 exists.
 * With VECTOR_SEARCH=required a database without it is refused; with `off` the vector DDL is skipped.
 */
export async function migrate(database: Database, vectorSearch: 'required' | 'off'): Promise<VectorStatus> {
  await runFolder(database.db, MIGRATIONS_DIR, 'lectern_migration');
  if (vectorSearch === 'off') return { enabled: false, reason: 'VECTOR_SEARCH=off' };

  const available = await database.extensionVersion('vector');
  if (!available) {
    throw new MigrationError(
      'pgvector is not installed on this PostgreSQL server. Install pgvector ≥ 0.8 ' +
        '(e.g. the postgresql-NN-pgvector package), or set VECTOR_SEARCH=off to run with text search only.',
    );
  }
  if (!atLeast(available, MIN_PGVECTOR)) {
    throw new MigrationError(
      `pgvector ${available} is too old: Lectern needs ≥ 0.8 (iterative index scans). Upgrade the extension, ` +
        'or set VECTOR_SEARCH=off.',
    );
  }
  await runFolder(database.db, `${MIGRATIONS_DIR}vector/`, 'lectern_vector_migration');
  return { enabled: true, version: available };
}

/** What a process that does not migrate (a fleet worker) learns about vectors: the serve process installed them. */
export async function vectorStatus(
  database: Pick<Database, 'db'>,
  vectorSearch: 'required' | 'off',
): Promise<VectorStatus> {
  if (vectorSearch === 'off') return { enabled: false, reason: 'VECTOR_SEARCH=off' };
  const { rows } = await sql<{ version: string | null }>`
    select (select extversion from pg_extension where extname = 'vector') as version
  `.execute(database.db);
  const version = rows[0]?.version;
  return version
    ? { enabled: true, version }
    : { enabled: false, reason: 'pgvector is not installed yet (run `lectern migrate`)' };
}

async function runFolder(db: Kysely<Tables>, folder: string, table: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new SqlFileMigrationProvider(folder),
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`Migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Each `NNNN_name.sql` file is one migration, run as a script inside the migrator's transaction. */
class SqlFileMigrationProvider implements MigrationProvider {
  #folder: string;
  constructor(folder: string) {
    this.#folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.#folder)).filter((f) => f.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const script = await readFile(`${this.#folder}${file}`, 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: (db) =>
          sql
            .raw(script)
            .execute(db)
            .then(() => undefined),
      };
    }
    return migrations;
  }
}

function atLeast(version: string, minimum: number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < minimum.length; i++) {
    const a = parts[i] ?? 0;
    const b = minimum[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

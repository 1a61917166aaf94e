import { sql } from 'kysely';
import type { Database } from './database.ts';

/**
 * The HNSW index of one embedding space: a pgvector expression index on `embedding::vector(dims)` limited to
 * the space's rows (DESIGN §5), built while the space is empty so the graph grows with each insert. The one
 * sanctioned runtime DDL; `CONCURRENTLY` on PostgreSQL so writers are never blocked.
 * https://github.com/pgvector/pgvector#hnsw
 */
export async function ensureVectorIndex(
  database: Pick<Database, 'engine' | 'db'>,
  spaceId: number,
  dims: number,
): Promise<void> {
  if (!Number.isInteger(spaceId) || !Number.isInteger(dims) || dims <= 0) {
    throw new TypeError(`Invalid embedding space ${spaceId} (${dims} dimensions)`);
  }
  const concurrently = database.engine === 'postgres' ? 'concurrently ' : '';
  const ddl =
    `create index ${concurrently}if not exists chunk_embeddings_space_${spaceId}_hnsw on chunk_embeddings ` +
    `using hnsw ((embedding::vector(${dims})) vector_cosine_ops) with (m = 16, ef_construction = 64) ` +
    `where space_id = ${spaceId}`;
  try {
    await sql.raw(ddl).execute(database.db);
  } catch (error) {
    // Two processes creating the first space at once: the loser's "already exists" is the outcome it wanted.
    if (!(await indexExists(database, spaceId))) throw error;
  }
}

async function indexExists(database: Pick<Database, 'db'>, spaceId: number): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select 1 from pg_indexes where indexname = ${`chunk_embeddings_space_${spaceId}_hnsw`}) as found
  `.execute(database.db);
  return rows[0]?.found === true;
}

/** Drops a space's HNSW index (`CONCURRENTLY` on PostgreSQL, so searches on other spaces never wait). */
export async function dropVectorIndex(
  database: Pick<Database, 'engine' | 'db'>,
  spaceId: number,
): Promise<void> {
  if (!Number.isInteger(spaceId)) throw new TypeError(`Invalid embedding space ${spaceId}`);
  const concurrently = database.engine === 'postgres' ? 'concurrently ' : '';
  await sql
    .raw(`drop index ${concurrently}if exists chunk_embeddings_space_${spaceId}_hnsw`)
    .execute(database.db);
}

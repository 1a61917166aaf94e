import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Executor } from '../../platform/db/transactions.ts';

export type SearchMode = 'hybrid' | 'vector' | 'text';

export interface SearchScope {
  ownerId: string;
  documentIds?: string[];
  tags?: string[];
  kind?: 'document' | 'story';
}

export interface SearchQuery {
  text: string;
  mode: SearchMode;
  /** The query's vector in the active space; required unless mode is `text`. */
  vector?: { spaceId: number; dims: number; values: number[] };
  limit: number;
  /** Candidates taken from each list before fusion. */
  candidates: number;
  /** Reciprocal Rank Fusion constant (60 in the original paper) and per-list weights. */
  rrf: { k: number; vectorWeight: number; textWeight: number };
  efSearch: number;
}

export interface SearchHit {
  chunk_id: string;
  document_id: string;
  title: string;
  kind: 'document' | 'story';
  page_from: number;
  page_to: number;
  snippet: string;
  score: number;
  vector_rank: number | null;
  text_rank: number | null;
}

/**
 * Hybrid retrieval in one statement: the best-window vector distance per chunk from the space's HNSW index
 * (iterative scan, so the visibility filter inside the SQL cannot starve it) and full-text rank, fused by
 * Reciprocal Rank Fusion; ties broken by chunk id. https://github.com/pgvector/pgvector#iterative-index-scans
 */
export function createSearchRepository(database: Pick<Database, 'executor' | 'transaction'>) {
  return {
    /** The space searches use; undefined before the first document was embedded. */
    activeSpace() {
      return database
        .executor()
        .selectFrom('embedding_spaces')
        .select(['id', 'model', 'dims'])
        .where('active', '=', true)
        .executeTakeFirst();
    },

    search(scope: SearchScope, query: SearchQuery): Promise<SearchHit[]> {
      return database.transaction(async () => {
        const db = database.executor();
        await applyVectorSettings(query, db);
        const { rows } = await searchStatement(scope, query).execute(db);
        return rows;
      });
    },

    /** The plan PostgreSQL picks for `search` with the same input and settings: EXPLAIN (FORMAT JSON), not run. */
    explain(scope: SearchScope, query: SearchQuery): Promise<unknown> {
      return database.transaction(async () => {
        const db = database.executor();
        await applyVectorSettings(query, db);
        const { rows } = await sql<{ 'QUERY PLAN': unknown }>`
          explain (format json) ${searchStatement(scope, query)}
        `.execute(db);
        return rows[0]!['QUERY PLAN'];
      });
    },
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;

const usesVector = (query: SearchQuery) => query.mode !== 'text' && query.vector !== undefined;

async function applyVectorSettings(query: SearchQuery, db: Executor): Promise<void> {
  if (!usesVector(query)) return;
  // SET LOCAL takes no parameters; both values are integers checked by the route schema.
  await sql.raw(`set local hnsw.ef_search = ${Math.trunc(query.efSearch)}`).execute(db);
  await sql.raw(`set local hnsw.iterative_scan = relaxed_order`).execute(db);
}

function searchStatement(scope: SearchScope, query: SearchQuery) {
  const visible = visibleDocuments(scope);
  const vectorList = usesVector(query) ? vectorCandidates(query, visible) : emptyList();
  // Spelled out where it is used rather than read from a CTE: the planner folds it to a constant and estimates
  // from chunks.tsv's statistics how many chunks match (the GIN index for a rare term, the caller's own chunks
  // for a common one); read from a CTE, every query looks equally rare to it.
  const tsq = sql`websearch_to_tsquery('english', ${query.text})`;
  const textList = query.mode !== 'vector' ? textCandidates(query, tsq, visible) : emptyList();
  const { k, vectorWeight, textWeight } = query.rrf;
  return sql<SearchHit>`
    with vec as (${vectorList}),
    txt as (${textList}),
    fused as (
      select coalesce(vec.chunk_id, txt.chunk_id) as chunk_id, vec.r as vector_rank, txt.r as text_rank,
        coalesce(${vectorWeight}::float8 / (${k} + vec.r), 0) + coalesce(${textWeight}::float8 / (${k} + txt.r), 0) as score
      from vec full outer join txt on vec.chunk_id = txt.chunk_id
    )
    select f.chunk_id, c.document_id, d.title, d.kind, c.page_from, c.page_to,
      ts_headline('english', c.text, ${tsq}, 'MaxFragments=2, MinWords=8, MaxWords=30, StartSel=<mark>, StopSel=</mark>') as snippet,
      f.score, f.vector_rank::int as vector_rank, f.text_rank::int as text_rank
    from fused f
    join chunks c on c.id = f.chunk_id
    join documents d on d.id = c.document_id
    order by f.score desc, f.chunk_id
    limit ${query.limit}
  `;
}

/** The caller's ready documents in scope: the only rows either list may come from. */
function visibleDocuments(scope: SearchScope): RawBuilder<unknown> {
  const filters = [sql`d.owner_id = ${scope.ownerId}`, sql`d.status = 'ready'`];
  if (scope.kind) filters.push(sql`d.kind = ${scope.kind}`);
  if (scope.documentIds?.length) filters.push(sql`d.id in (${sql.join(scope.documentIds)})`);
  if (scope.tags?.length) {
    filters.push(
      sql`exists (select 1 from document_tags t where t.document_id = d.id and t.tag in (${sql.join(scope.tags)}))`,
    );
  }
  return sql`select d.id from documents d where ${sql.join(filters, sql` and `)}`;
}

function vectorCandidates(query: SearchQuery, visible: RawBuilder<unknown>): RawBuilder<unknown> {
  const { spaceId, dims, values } = query.vector!;
  // The expression must match the space's index: embedding::vector(dims) <=> …, WHERE space_id = N.
  const distance = sql`e.embedding::vector(${sql.raw(String(Math.trunc(dims)))}) <=> ${`[${values.join(',')}]`}::vector(${sql.raw(String(Math.trunc(dims)))})`;
  // Windows first (the index's order), then each chunk keeps its best window.
  return sql`
    select chunk_id, row_number() over (order by distance, chunk_id) as r
    from (
      select chunk_id, min(distance) as distance
      from (
        select e.chunk_id, ${distance} as distance
        from chunk_embeddings e
        join chunks c on c.id = e.chunk_id
        where e.space_id = ${spaceId} and c.document_id in (${visible})
        order by ${distance}
        limit ${query.candidates * 8}
      ) windows
      group by chunk_id
      order by distance, chunk_id
      limit ${query.candidates}
    ) best`;
}

function textCandidates(
  query: SearchQuery,
  tsq: RawBuilder<unknown>,
  visible: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`
    select chunk_id, row_number() over (order by rank desc, chunk_id) as r
    from (
      select c.id as chunk_id, ts_rank(c.tsv, ${tsq}) as rank
      from chunks c
      where c.tsv @@ ${tsq} and c.document_id in (${visible})
      order by rank desc, c.id
      limit ${query.candidates}
    ) ranked`;
}

function emptyList(): RawBuilder<unknown> {
  return sql`select null::uuid as chunk_id, null::bigint as r where false`;
}

import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.ts';
import type { ConceptEdge, ConceptNode } from './concept-graph.ts';

export interface WalkedConcept {
  id: string;
  name: string;
  kind: 'course' | 'section' | 'concept';
  depth: number;
}

const ROWS_PER_INSERT = 500;
/** A walk is a handful of indexed statements; anything slower is cut off rather than left to hold a connection. */
const WALK_TIMEOUT_MS = 2_000;

/** concepts and concept_edges: a course's graph, written whole, and walked breadth-first. */
export function createConceptsRepository(database: Pick<Database, 'executor' | 'transaction'>) {
  const db = () => database.executor();
  return {
    /** Replaces the course's graph (call inside the transaction that stores the course). */
    async replaceGraph(courseId: string, nodes: ConceptNode[], edges: ConceptEdge[]): Promise<void> {
      await db().deleteFrom('concepts').where('course_id', '=', courseId).execute();
      for (let i = 0; i < nodes.length; i += ROWS_PER_INSERT) {
        const rows = nodes.slice(i, i + ROWS_PER_INSERT).map((n) => ({ ...n, course_id: courseId }));
        await db().insertInto('concepts').values(rows).execute();
      }
      for (let i = 0; i < edges.length; i += ROWS_PER_INSERT) {
        const rows = edges
          .slice(i, i + ROWS_PER_INSERT)
          .map((e) => ({ src_id: e.srcId, rel: e.rel, dst_id: e.dstId }));
        await db()
          .insertInto('concept_edges')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },

    /**
     * Breadth-first from the course's root node: one statement per level, each returning only nodes not seen
     * yet, so every node is reported once with its minimum depth (never once per path) and the walk stops at
     * `limit` nodes. `contains` edges are followed downwards, `relates-to` both ways. Cycles end because seen
     * nodes are excluded. Within a level, nodes come in name order.
     */
    walk(courseId: string, depth: number, limit: number): Promise<WalkedConcept[]> {
      return database.transaction(async () => {
        await sql.raw(`set local statement_timeout = ${WALK_TIMEOUT_MS}`).execute(db());
        const root = await db()
          .selectFrom('concepts')
          .select('id')
          .where('course_id', '=', courseId)
          .where('kind', '=', 'course')
          .executeTakeFirst();
        if (!root) return [];
        const seen = new Set([root.id]);
        const found: WalkedConcept[] = [];
        let frontier = [root.id];
        for (let level = 1; level <= depth && frontier.length > 0 && found.length < limit; level++) {
          const next = await nextLevel(frontier, [...seen], limit - found.length);
          for (const node of next) {
            seen.add(node.id);
            found.push({ ...node, depth: level });
          }
          frontier = next.map((node) => node.id);
        }
        return found;
      });
    },
  };

  function nextLevel(frontier: string[], seen: string[], room: number) {
    const from = sql.join(frontier);
    return sql<Omit<WalkedConcept, 'depth'>>`
      select n.id, n.name, n.kind
      from (
        select e.dst_id as id from concept_edges e where e.src_id in (${from})
        union
        select e.src_id from concept_edges e where e.dst_id in (${from}) and e.rel = 'relates-to'
      ) reached
      join concepts n on n.id = reached.id
      where n.id not in (${sql.join(seen)})
      order by n.name, n.id
      limit ${room}`
      .execute(db())
      .then((result) => result.rows);
  }
}

export type ConceptsRepository = ReturnType<typeof createConceptsRepository>;
